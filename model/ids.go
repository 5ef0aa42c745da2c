package model

import (
	"math/rand/v2"
)

// IDSource makes the identifiers of new rows. Production uses random UUID
// v4 strings; townsim draws them from a seeded source so a run replays.
type IDSource interface {
	// NewID returns a new lowercase 36-character UUID v4 string.
	NewID() string
}

// SeededIDs is an IDSource drawing UUIDs from a seeded PCG generator.
type SeededIDs struct{ r *rand.Rand }

// NewSeededIDs returns an IDSource whose sequence depends only on seed.
func NewSeededIDs(seed uint64) *SeededIDs {
	return &SeededIDs{r: rand.New(rand.NewPCG(seed, 0x9e3779b97f4a7c15))}
}

// NewID returns the next UUID v4 string of the sequence.
func (s *SeededIDs) NewID() string { return uuidFrom(s.r.Uint64(), s.r.Uint64()) }

const hexDigits = "0123456789abcdef"

// uuidFrom formats 128 bits as a version-4, variant-1 UUID string.
func uuidFrom(hi, lo uint64) string {
	var b [16]byte
	for i := 0; i < 8; i++ {
		b[i] = byte(hi >> (56 - 8*i))
		b[8+i] = byte(lo >> (56 - 8*i))
	}
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	var out [36]byte
	j := 0
	for i, c := range b {
		if i == 4 || i == 6 || i == 8 || i == 10 {
			out[j] = '-'
			j++
		}
		out[j] = hexDigits[c>>4]
		out[j+1] = hexDigits[c&0x0f]
		j += 2
	}
	return string(out[:])
}
