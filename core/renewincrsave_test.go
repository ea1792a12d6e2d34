package sessions_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	sessions "github.com/gosessions/sessions/core"
)

// Login: Renew, Incr (writes the new record under the new id), then a value
// makes the save too large (413). The response carries no token for the new
// id, the old id is dead: the failed login logged the user out.
func TestRenewIncrThenTooLargeLogsOut(t *testing.T) {
	st, _ := newCookieStore(t, sessions.StoreOptions{MaxSize: 200}, sessions.CookieOptions{})
	old := exchange(t, st, nil, func(s *sessions.Session) { s.Set("user", "ada") }).Result().Cookies()
	c, s, w := req(st, old)
	if err := s.Renew(); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Incr("logins", 1); err != nil {
		t.Fatal(err)
	}
	s.Set("big", strings.Repeat("x", 180))
	err := st.Commit(context.Background(), c, s)
	if !errors.Is(err, sessions.ErrTooLarge) {
		t.Fatalf("Commit: %v", err)
	}
	cookies := w.Result().Cookies()
	_, oldAlive := readUser(t, st, old)
	newAlive := false
	if len(cookies) > 0 {
		_, newAlive = readUser(t, st, cookies)
	}
	if !oldAlive && !newAlive {
		t.Errorf("a save that failed on a value (413) after Renew+Incr: old id dead, no token for the new one (%d cookies): the user is logged out", len(cookies))
	}
}
