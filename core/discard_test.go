package sessions_test

import (
	"context"
	"testing"

	sessions "github.com/gosessions/sessions/core"
)

// After Discard "nothing more is saved": Incr and Destroy still write.
func TestWritesAfterDiscard(t *testing.T) {
	st, client := newCookieStore(t, sessions.StoreOptions{}, sessions.CookieOptions{})
	old := exchange(t, st, nil, func(s *sessions.Session) { s.Set("n", 1) }).Result().Cookies()
	c, s, _ := req(st, old)
	st.Discard(s)
	if _, err := s.Incr("n", 5); err == nil {
		t.Errorf("Incr after Discard succeeded")
	}
	st.Save(context.Background(), c, s)
	var n int64
	exchange(t, st, old, func(s *sessions.Session) { n, _ = s.Incr("n", 0) })
	if n != 1 {
		t.Errorf("after Discard, the session changed: n=%d, want 1", n)
	}
	// On a request without a session: Incr after Discard creates an orphan record.
	_, s2, w2 := req(st, nil)
	st.Discard(s2)
	s2.Incr("m", 1)
	if len(w2.Result().Cookies()) == 0 && len(recordKeys(t, st, client)) > 1 {
		t.Errorf("Incr after Discard on a new session created a record no client can reach (%d records)", len(recordKeys(t, st, client)))
	}
}
