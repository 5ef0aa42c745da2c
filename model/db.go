package model

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"fmt"

	_ "github.com/mattn/go-sqlite3" // the C SQLite engine production runs
)

// DB is a Town's SQLite database: one pinned connection (an in-memory
// database exists per connection), a bounded cache of statements prepared
// on that connection's driver connection (stmt_cache.go, db_rows.go), and
// a machine-independent cost counter.
type DB struct {
	sqldb *sql.DB
	conn  *sql.Conn
	// drv is conn's driver connection. conn stays pinned to this DB for
	// its whole life, so drv is never handed to anyone else.
	drv   driver.ConnPrepareContext
	stmts *stmtCache
	cost  Cost
	// args is the buffer the driver arguments of one execution are built
	// in (the driver copies them before the execution returns).
	args []driver.NamedValue
	// qpsg is whether the connection's query planner stability guarantee
	// is on (stmt_plan.go); exactPlans counts executions that needed it off.
	qpsg       bool
	exactPlans int64
	// configMemo is the town config last parsed by the Town on this
	// database (config_cache.go).
	configMemo townConfigMemo

	// writeFault, when set, makes Exec fail once writesLeft more writes
	// have succeeded (Town.FaultHalfway).
	writeFault *InjectedError
	writesLeft int
}

// Cost is the work the database did, counted the same on every machine.
type Cost struct {
	// Statements is the number of SQL statements executed.
	Statements int64
	// Rows is the number of result rows returned to the model.
	Rows int64
}

// Sub returns c minus o, the cost of the work between two readings.
func (c Cost) Sub(o Cost) Cost {
	return Cost{Statements: c.Statements - o.Statements, Rows: c.Rows - o.Rows}
}

// Add returns c plus o.
func (c Cost) Add(o Cost) Cost {
	return Cost{Statements: c.Statements + o.Statements, Rows: c.Rows + o.Rows}
}

// OpenDB opens path ("" or ":memory:" for an in-memory database) with
// foreign keys enforced, as production's runtime enforces them.
//
// The connection is opened without SQLite's per-connection mutex
// (_mutex=no, SQLITE_OPEN_NOMUTEX): a DB is used by one goroutine at a
// time (database/sql never runs one connection's calls concurrently, and
// the model runs a Town on one goroutine), so the mutex only cost a
// lock and an unlock around every step and every column read.
func OpenDB(path string) (*DB, error) {
	if path == "" {
		path = ":memory:"
	}
	dsn := "file:" + path + "?_foreign_keys=1&_mutex=no"
	if path != ":memory:" {
		dsn += "&_journal_mode=WAL&_synchronous=NORMAL"
	}
	sqldb, err := sql.Open("sqlite3", dsn)
	if err != nil {
		return nil, fmt.Errorf("open database %q: %w", path, err)
	}
	sqldb.SetMaxOpenConns(1)
	sqldb.SetMaxIdleConns(1)
	sqldb.SetConnMaxLifetime(0)
	conn, err := sqldb.Conn(context.Background())
	if err != nil {
		sqldb.Close()
		return nil, fmt.Errorf("open database %q: %w", path, err)
	}
	d := &DB{sqldb: sqldb, conn: conn, stmts: newStmtCache(StmtCacheSize)}
	err = conn.Raw(func(dc any) error {
		p, ok := dc.(driver.ConnPrepareContext)
		if !ok {
			return fmt.Errorf("driver connection %T cannot prepare statements", dc)
		}
		d.drv = p
		return nil
	})
	if err == nil {
		err = d.setQPSG(true)
	}
	if err != nil {
		d.Close()
		return nil, fmt.Errorf("open database %q: %w", path, err)
	}
	return d, nil
}

// Close closes the statements, the connection and the database.
func (d *DB) Close() error {
	d.stmts.closeAll()
	d.conn.Close()
	return d.sqldb.Close()
}

// Cost returns the running cost counters.
func (d *DB) Cost() Cost { return d.cost }

// ExactPlans counts the executions so far that had to be planned with
// their argument values (stmt_plan.go). Each one makes every cached
// statement compile again on its next run: a caller's query that binds
// a 0 or 1 where the planner may look at it slows everything after it.
func (d *DB) ExactPlans() int64 { return d.exactPlans }

// stmt returns q prepared on the pinned connection, from the cache or
// prepared now, and whether this execution must be planned with its
// argument values (stmt_plan.go).
func (d *DB) stmt(q string, args []any) (*stmtEntry, bool, error) {
	e := d.stmts.get(q)
	if e == nil {
		s, err := d.drv.PrepareContext(context.Background(), q)
		if err != nil {
			return nil, false, fmt.Errorf("prepare %q: %w", q, err)
		}
		ds, ok := s.(driverStmt)
		if !ok {
			s.Close()
			return nil, false, fmt.Errorf("prepare %q: driver statement %T cannot run with a context", q, s)
		}
		e = d.stmts.put(q, ds, shapeOf(q))
	}
	return e, planNeedsValues(q, e.shape, args), nil
}

// setQPSG turns the query planner stability guarantee on or off.
func (d *DB) setQPSG(on bool) error {
	v := 0
	if on {
		v = 1
	}
	if _, err := d.conn.ExecContext(context.Background(), `SELECT townsim_qpsg(?)`, v); err != nil {
		return fmt.Errorf("query planner stability guarantee: %w", err)
	}
	d.qpsg = on
	return nil
}

// beginExact turns the guarantee off for an execution that must be
// planned with its values (exact), so SQLite plans it as it did before
// the guarantee; endExact turns it back on. They report whether it was
// turned off.
func (d *DB) beginExact(exact bool) (bool, error) {
	if !exact || !d.qpsg {
		return false, nil
	}
	d.exactPlans++
	return true, d.setQPSG(false)
}

func (d *DB) endExact(off bool, err error) error {
	if !off {
		return err
	}
	if qerr := d.setQPSG(true); err == nil {
		err = qerr
	}
	return err
}

// bind counts the statement, converts args into the reused argument
// buffer and, for a statement whose plan may depend on its values, turns
// the planner's stability guarantee off (off reports it, for endExact).
func (d *DB) bind(s *stmtEntry, exact bool, args []any) (nv []driver.NamedValue, off bool, err error) {
	d.cost.Statements++
	if nv, err = namedArgs(d.args, s.stmt.NumInput(), args); err != nil {
		return nil, false, err
	}
	d.args = nv
	if off, err = d.beginExact(exact); err != nil {
		return nil, false, err
	}
	return nv, off, nil
}

// Exec runs a statement that returns no rows.
func (d *DB) Exec(q string, args ...any) (sql.Result, error) {
	s, exact, err := d.stmt(q, args)
	if err != nil {
		return nil, err
	}
	if d.writeFault != nil {
		if d.writesLeft == 0 {
			err := d.writeFault
			d.writeFault = nil
			return nil, err
		}
		d.writesLeft--
	}
	nv, off, err := d.bind(s, exact, args)
	if err != nil {
		return nil, err
	}
	res, err := s.stmt.ExecContext(context.Background(), nv)
	clear(nv)
	if err != nil {
		res = nil
	}
	return res, d.endExact(off, err)
}

// armWriteFault makes the write statement after the next n fail with err.
func (d *DB) armWriteFault(n int, err *InjectedError) { d.writeFault, d.writesLeft = err, n }

// disarmWriteFault clears an armed write fault; it reports whether one was
// still armed (no write reached it).
func (d *DB) disarmWriteFault() bool {
	armed := d.writeFault != nil
	d.writeFault = nil
	return armed
}

// ExecRaw runs q without preparing and caching it (DDL, savepoints).
func (d *DB) ExecRaw(q string) error {
	d.cost.Statements++
	_, err := d.conn.ExecContext(context.Background(), q)
	return err
}

// Query runs a statement that returns rows. The caller closes them.
func (d *DB) Query(q string, args ...any) (*Rows, error) {
	s, exact, err := d.stmt(q, args)
	if err != nil {
		return nil, err
	}
	nv, off, err := d.bind(s, exact, args)
	if err != nil {
		return nil, err
	}
	rows, err := s.stmt.QueryContext(context.Background(), nv)
	clear(nv)
	if err = d.endExact(off, err); err != nil {
		if rows != nil {
			rows.Close()
		}
		return nil, err
	}
	return &Rows{d: d, e: s, rowsi: rows, shared: s.opened()}, nil
}

// QueryRow runs q and scans its first row into dest. It returns
// sql.ErrNoRows when there is none.
func (d *DB) QueryRow(q string, args []any, dest ...any) error {
	rows, err := d.Query(q, args...)
	if err != nil {
		return err
	}
	defer rows.Close()
	if !rows.Next() {
		if err := rows.Err(); err != nil {
			return err
		}
		return sql.ErrNoRows
	}
	if err := rows.Scan(dest...); err != nil {
		return err
	}
	return rows.Close()
}

// Int runs a query returning one integer (a count); no row reads as 0.
func (d *DB) Int(q string, args ...any) (int, error) {
	var n sql.NullInt64
	err := d.QueryRow(q, args, &n)
	if err == sql.ErrNoRows {
		return 0, nil
	}
	return int(n.Int64), err
}

// Strings runs a query returning one text column and collects it.
func (d *DB) Strings(q string, args ...any) ([]string, error) {
	rows, err := d.Query(q, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var s sql.NullString
		if err := rows.Scan(&s); err != nil {
			return nil, err
		}
		out = append(out, s.String)
	}
	return out, rows.Err()
}
