package model

/*
int sqlite3_config(int, ...);

// townsimMemstatusOff turns off SQLite's memory statistics
// (SQLITE_CONFIG_MEMSTATUS, 9) before the first database opens. The
// driver builds SQLite with them on, and they take one process-wide mutex
// on every allocation: simulations running side by side in one process
// (sweeps, parallel tests) queue on it. Nothing in townsim reads them.
static int townsimMemstatusOff(void) { return sqlite3_config(9, 0); }
*/
import "C"

// sqliteConfigResult is SQLite's answer to the configuration (0 = done;
// 21, misuse, when a database was opened before this package's init).
var sqliteConfigResult = int(C.townsimMemstatusOff())
