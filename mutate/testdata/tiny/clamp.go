package main

import "strings"

// clamp bounds x to [lo, hi].
func clamp(x, lo, hi int) int {
	if x < lo {
		return lo
	}
	if x > hi {
		return hi
	}
	return x
}

// sum adds 1..n one step at a time.
func sum(n int) int {
	s := 0
	for i := 1; i <= n; i += 1 {
		s += i
	}
	return s
}

// greet builds a greeting; the builder is used only to write to it, so
// dropping that call leaves it unused and the mutant does not build.
func greet() string {
	var b strings.Builder
	b.WriteString("hi")
	return "hi"
}
