package model

import "database/sql"

// StmtCacheSize bounds the prepared statements a DB keeps: the least
// recently used one is closed when a new text would exceed it. The model
// uses about a hundred distinct statement texts; texts built with a
// variable number of placeholders (IN lists) come and go.
const StmtCacheSize = 512

// stmtEntry is one cached statement: its text, the statement prepared on
// the pinned connection, its shape (stmt_plan.go), and its place in the
// recency list.
type stmtEntry struct {
	q          string
	stmt       *sql.Stmt
	shape      sqlShape
	prev, next *stmtEntry
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
func (c *stmtCache) put(q string, s *sql.Stmt, shape sqlShape) *stmtEntry {
	for len(c.byText) >= c.limit {
		old := c.head.prev
		c.unlink(old)
		delete(c.byText, old.q)
		old.stmt.Close()
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
