package des

// The event queue is a binary min-heap over a slice of entry values, written
// out by hand (no container/heap, so no interface calls or boxing). Sifting
// moves a hole instead of swapping, which halves the writes.

// less orders entries by time, then by scheduling order.
func less(a, b entry) bool {
	return a.at < b.at || (a.at == b.at && a.seq < b.seq)
}

// push adds x to the heap.
func (e *Engine) push(x entry) {
	h := append(e.heap, x)
	i := len(h) - 1
	for i > 0 {
		p := (i - 1) / 2
		if !less(x, h[p]) {
			break
		}
		h[i] = h[p]
		i = p
	}
	h[i] = x
	e.heap = h
}

// pop removes the heap's minimum, which the caller has already read.
func (e *Engine) pop() {
	n := len(e.heap) - 1
	last := e.heap[n]
	e.heap = e.heap[:n]
	if n > 0 {
		siftDown(e.heap, 0, last)
	}
}

// siftDown places x in the subtree rooted at the hole i.
func siftDown(h []entry, i int, x entry) {
	n := len(h)
	for {
		c := 2*i + 1
		if c >= n || c < 0 {
			break
		}
		if r := c + 1; r < n && less(h[r], h[c]) {
			c = r
		}
		if !less(h[c], x) {
			break
		}
		h[i] = h[c]
		i = c
	}
	h[i] = x
}
