package model

/*
typedef struct sqlite3 sqlite3;
typedef struct sqlite3_stmt sqlite3_stmt;
typedef struct sqlite3_context sqlite3_context;
typedef struct sqlite3_value sqlite3_value;
int sqlite3_config(int, ...);
int sqlite3_db_config(sqlite3*, int, ...);
int sqlite3_auto_extension(void(*)(void));
int sqlite3_create_function_v2(sqlite3*, const char*, int, int, void*,
	void (*)(sqlite3_context*, int, sqlite3_value**),
	void (*)(sqlite3_context*), void (*)(sqlite3_context*), void (*)(void*));
sqlite3 *sqlite3_context_db_handle(sqlite3_context*);
int sqlite3_value_int(sqlite3_value*);
void sqlite3_result_int(sqlite3_context*, int);
void sqlite3_result_int64(sqlite3_context*, long long);
sqlite3_stmt *sqlite3_next_stmt(sqlite3*, sqlite3_stmt*);
int sqlite3_stmt_status(sqlite3_stmt*, int, int);

// townsimMemstatusOff turns off SQLite's memory statistics
// (SQLITE_CONFIG_MEMSTATUS, 9) before the first database opens. The
// driver builds SQLite with them on, and they take one process-wide mutex
// on every allocation: simulations running side by side in one process
// (sweeps, parallel tests) queue on it. Nothing in townsim reads them.
static int townsimMemstatusOff(void) { return sqlite3_config(9, 0); }

// townsim_qpsg(ON) sets the connection's query planner stability
// guarantee (SQLITE_DBCONFIG_ENABLE_QPSG, 1007) and returns the previous
// setting. See stmt_plan.go for why and when.
static void townsimQPSG(sqlite3_context *ctx, int n, sqlite3_value **v) {
	sqlite3 *db = sqlite3_context_db_handle(ctx);
	int old = 0;
	sqlite3_db_config(db, 1007, -1, &old);
	sqlite3_db_config(db, 1007, sqlite3_value_int(v[0]), (int*)0);
	sqlite3_result_int(ctx, old);
}

// townsim_reprepares() is the number of times the connection's live
// statements were compiled again (SQLITE_STMTSTATUS_REPREPARE, 5), summed.
static void townsimReprepares(sqlite3_context *ctx, int n, sqlite3_value **v) {
	sqlite3 *db = sqlite3_context_db_handle(ctx);
	long long sum = 0;
	sqlite3_stmt *p = 0;
	while ((p = sqlite3_next_stmt(db, p)) != 0) sum += sqlite3_stmt_status(p, 5, 0);
	sqlite3_result_int64(ctx, sum);
}

// townsimFunctions registers the two functions on every new connection
// (SQLITE_UTF8 = 1; neither is deterministic, 0x800, on purpose).
static int townsimFunctions(sqlite3 *db, char **err, const void *api) {
	int rc = sqlite3_create_function_v2(db, "townsim_qpsg", 1, 1, 0, townsimQPSG, 0, 0, 0);
	if (rc) return rc;
	return sqlite3_create_function_v2(db, "townsim_reprepares", 0, 1, 0, townsimReprepares, 0, 0, 0);
}

static int townsimRegister(void) {
	return sqlite3_auto_extension((void (*)(void))townsimFunctions);
}
*/
import "C"

// sqliteConfigResult is SQLite's answer to the configuration (0 = done;
// 21, misuse, when a database was opened before this package's init).
var sqliteConfigResult = int(C.townsimMemstatusOff())

// sqliteFunctionsResult is SQLite's answer to registering townsim_qpsg
// and townsim_reprepares on every connection opened after init (0 = done).
var sqliteFunctionsResult = int(C.townsimRegister())
