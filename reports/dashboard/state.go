package dashboard

import (
	"encoding/json"
	"time"

	"github.com/townsim/townsim/reports/record"
)

// builderState is a Builder's whole state as JSON, so that a sweep can
// save a finished run's dashboard and a resumed sweep chart it.
type builderState struct {
	Start   time.Time           `json:"start"`
	Width   time.Duration       `json:"width"`
	Buckets []*bucketState      `json:"buckets"`
	Last    record.AnalyticsRow `json:"last"`
	Rows    int                 `json:"rows"`
}

type bucketState struct {
	SI      float64             `json:"si"`
	Sums    map[string]float64  `json:"sums"`
	Explode map[string]float64  `json:"explode"`
	Last    record.AnalyticsRow `json:"last"`
}

// MarshalJSON saves the builder's state.
func (b *Builder) MarshalJSON() ([]byte, error) {
	s := builderState{Start: b.start, Width: b.width, Last: b.last, Rows: b.rows}
	for _, bk := range b.buckets {
		if bk == nil {
			s.Buckets = append(s.Buckets, nil)
			continue
		}
		s.Buckets = append(s.Buckets, &bucketState{SI: bk.si, Sums: bk.sums, Explode: bk.explode, Last: bk.last})
	}
	return json.Marshal(s)
}

// UnmarshalJSON restores a state saved by MarshalJSON.
func (b *Builder) UnmarshalJSON(data []byte) error {
	var s builderState
	if err := json.Unmarshal(data, &s); err != nil {
		return err
	}
	*b = Builder{start: s.Start, width: s.Width, last: s.Last, rows: s.Rows}
	for _, bk := range s.Buckets {
		if bk == nil {
			b.buckets = append(b.buckets, nil)
			continue
		}
		nb := &bucket{si: bk.SI, sums: bk.Sums, explode: bk.Explode, last: bk.Last}
		if nb.sums == nil {
			nb.sums = map[string]float64{}
		}
		if nb.explode == nil {
			nb.explode = map[string]float64{}
		}
		b.buckets = append(b.buckets, nb)
	}
	return nil
}
