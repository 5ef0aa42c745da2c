package model

import "database/sql/driver"

// driverStmt is a statement prepared on the driver's connection
// (db_rows.go says why the model runs statements there).
type driverStmt interface {
	driver.Stmt
	driver.StmtExecContext
	driver.StmtQueryContext
}

// StmtCacheSize bounds the prepared statements a DB keeps: the least
// recently used one is closed when a new text would exceed it. The model
// uses about a hundred distinct statement texts; texts built with a
// variable number of placeholders (IN lists) come and go.
const StmtCacheSize = 512

// stmtEntry is one cached statement: its text, the statement prepared on
// the pinned connection, its shape (stmt_plan.go), the result sets open
// on it and the row buffer they share, and its place in the recency list.
type stmtEntry struct {
	q     string
	stmt  driverStmt
	shape sqlShape
	// open counts the result sets of this statement not yet closed; an
	// entry evicted while some are open is closed when the last one is.
	open    int
	evicted bool
	vals    []driver.Value
	prev    *stmtEntry
	next    *stmtEntry
}

// opened records a new result set on the statement and reports whether it
// may use the entry's row buffer (no other open result set uses it).
func (e *stmtEntry) opened() (shared bool) {
	e.open++
	return e.open == 1
}

// buffer returns the entry's row buffer, n values long.
func (e *stmtEntry) buffer(n int) []driver.Value {
	if cap(e.vals) < n {
		e.vals = make([]driver.Value, n)
	}
	return e.vals[:n]
}

// closed records that a result set of the statement was closed; shared is
// what opened returned for it. The shared buffer is cleared so that it
// keeps no row's values alive; an evicted statement whose last result set
// this was is closed now.
func (e *stmtEntry) closed(shared bool) {
	if shared {
		clear(e.vals)
	}
	e.open--
	if e.open == 0 && e.evicted {
		e.stmt.Close()
	}
}

// stmtCache is a bounded least-recently-used map from SQL text to its
// prepared statement. The list is circular through the sentinel head:
// head.next is the most recently used entry, head.prev the least.
type stmtCache struct {
	byText map[string]*stmtEntry
	head   stmtEntry
	limit  int
}

func newStmtCache(limit int) *stmtCache {
	c := &stmtCache{limit: max(limit, 1)}
	c.reset()
	return c
}

func (c *stmtCache) reset() {
	c.byText = map[string]*stmtEntry{}
	c.head.prev, c.head.next = &c.head, &c.head
}

// get returns q's entry, marking it most recently used, or nil.
func (c *stmtCache) get(q string) *stmtEntry {
	e := c.byText[q]
	if e == nil {
		return nil
	}
	if c.head.next != e {
		c.unlink(e)
		c.pushFront(e)
	}
	return e
}

// put adds q's freshly prepared statement, closing the least recently
// used statement when the cache is full.
func (c *stmtCache) put(q string, s driverStmt, shape sqlShape) *stmtEntry {
	for len(c.byText) >= c.limit {
		old := c.head.prev
		c.unlink(old)
		delete(c.byText, old.q)
		if old.open > 0 {
			old.evicted = true
		} else {
			old.stmt.Close()
		}
	}
	e := &stmtEntry{q: q, stmt: s, shape: shape}
	c.byText[q] = e
	c.pushFront(e)
	return e
}

// len is the number of cached statements.
func (c *stmtCache) len() int { return len(c.byText) }

// closeAll closes every cached statement and empties the cache.
func (c *stmtCache) closeAll() {
	for e := c.head.next; e != &c.head; e = e.next {
		e.stmt.Close()
	}
	c.reset()
}

func (c *stmtCache) unlink(e *stmtEntry) {
	e.prev.next, e.next.prev = e.next, e.prev
	e.prev, e.next = nil, nil
}

func (c *stmtCache) pushFront(e *stmtEntry) {
	e.prev, e.next = &c.head, c.head.next
	c.head.next.prev = e
	c.head.next = e
}
