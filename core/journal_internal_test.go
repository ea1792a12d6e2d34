package sessions

import (
	"errors"
	"sync/atomic"
	"testing"
	"time"
)

// Writes of one session that follow one another are never refused as
// "outcome unknown", however fast they come: the journal's horizon (the
// newest issue time pruned) is kept in µs, so a write issued after
// another is never issued at the time of an entry pruned before it. With
// issue times in ms, on a server that takes 10 µs per write, a write
// issued in the millisecond of the newest pruned entry was refused. The
// store's clock here moves 2 µs per reading, a few readings per write.
func TestSequentialWritesPassTheHorizon(t *testing.T) {
	st := reviewStore(t, StoreOptions{})
	var calls atomic.Int64
	start := time.Now()
	st.now = func() time.Time { return start.Add(time.Duration(calls.Add(1)) * 2 * time.Microsecond) }
	ck := rx(t, st, nil, func(s *Session) { s.Set("n", 0) })
	for i := range 3 * journalMax {
		s, c := rxLoad(st, ck)
		if _, err := s.Incr("n", 1); err != nil {
			t.Fatalf("Incr %d (writes a few µs apart): %v (outcome unknown: %v)", i, err, errors.Is(err, errOutcomeUnknown))
		}
		_ = c
	}
	s, _ := rxLoad(st, ck)
	if n, _, err := Get[int](s, "n"); err != nil || n != 3*journalMax {
		t.Fatalf("n = %d, %v; want %d", n, err, 3*journalMax)
	}
}
