package des

import "time"

// appendDuration appends d as time.Duration's String writes it ("1h2m3.5s",
// "250ms", "1.5µs", "0s"), without allocating. The trace writes every
// latency this way, so it must stay byte for byte what String gives:
// TestAppendDuration compares the two.
func appendDuration(b []byte, d time.Duration) []byte {
	var buf [32]byte
	i := len(buf)
	u := uint64(d)
	neg := d < 0
	if neg {
		u = -u
	}
	if u < uint64(time.Second) {
		// Below a second: one unit (ns, µs or ms) with a fraction.
		var prec int
		switch {
		case u == 0:
			return append(b, "0s"...)
		case u < uint64(time.Microsecond):
			i -= 2
			copy(buf[i:], "ns")
		case u < uint64(time.Millisecond):
			prec = 3
			i -= len("µs")
			copy(buf[i:], "µs")
		default:
			prec = 6
			i -= 2
			copy(buf[i:], "ms")
		}
		i, u = putFrac(&buf, i, u, prec)
		i = putUint(&buf, i, u)
	} else {
		// Hours, minutes and seconds with a fraction; the larger units
		// only when they are not zero.
		i--
		buf[i] = 's'
		i, u = putFrac(&buf, i, u, 9)
		i = putUint(&buf, i, u%60)
		u /= 60
		if u > 0 {
			i--
			buf[i] = 'm'
			i = putUint(&buf, i, u%60)
			u /= 60
			if u > 0 {
				i--
				buf[i] = 'h'
				i = putUint(&buf, i, u)
			}
		}
	}
	if neg {
		i--
		buf[i] = '-'
	}
	return append(b, buf[i:]...)
}

// putFrac writes the prec lowest decimal digits of v before buf[i] as a
// fraction (a point and the digits, trailing zeros left out, nothing when
// they are all zero) and returns the new start and v without those digits.
func putFrac(buf *[32]byte, i int, v uint64, prec int) (int, uint64) {
	printed := false
	for range prec {
		digit := v % 10
		printed = printed || digit != 0
		if printed {
			i--
			buf[i] = byte(digit) + '0'
		}
		v /= 10
	}
	if printed {
		i--
		buf[i] = '.'
	}
	return i, v
}

// putUint writes v in decimal before buf[i] and returns the new start.
func putUint(buf *[32]byte, i int, v uint64) int {
	if v == 0 {
		i--
		buf[i] = '0'
		return i
	}
	for v > 0 {
		i--
		buf[i] = byte(v%10) + '0'
		v /= 10
	}
	return i
}
