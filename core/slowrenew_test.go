package sessions_test

import (
	"testing"
	"time"

	sessions "github.com/gosessions/sessions/core"
)

// A request that takes longer than the journal TTL (10s) between Renew and a
// failed save (or a panic → Discard) loses the session: the taken record
// expired in its journal key.
func TestSlowRequestRenewThenDiscard(t *testing.T) {
	t.Parallel()
	st, _ := newCookieStore(t, sessions.StoreOptions{}, sessions.CookieOptions{})
	old := exchange(t, st, nil, func(s *sessions.Session) { s.Set("user", "ada") }).Result().Cookies()
	_, s, _ := req(st, old)
	if err := s.Renew(); err != nil {
		t.Fatal(err)
	}
	time.Sleep(11 * time.Second) // a slow handler (an upload, a slow API call)
	st.Discard(s)
	if _, ok := readUser(t, st, old); !ok {
		t.Errorf("Renew, 11s of work, then a panic (Discard): the session is gone (the taken record expired from its journal)")
	}
}
