package sessions_test

import (
	"testing"

	sessions "github.com/gosessions/sessions/core"
)

func TestRoundTrip(t *testing.T) {
	st, _ := newCookieStore(t, sessions.StoreOptions{}, sessions.CookieOptions{})
	w := exchange(t, st, nil, func(s *sessions.Session) {
		if err := s.Set("user", "ada"); err != nil {
			t.Fatal(err)
		}
	})
	cookies := w.Result().Cookies()
	if len(cookies) != 1 {
		t.Fatalf("want 1 cookie, got %d", len(cookies))
	}
	exchange(t, st, cookies, func(s *sessions.Session) {
		v, ok, err := sessions.Get[string](s, "user")
		if err != nil || !ok || v != "ada" {
			t.Fatalf("Get = %q, %v, %v", v, ok, err)
		}
		n, err := s.Incr("count", 2)
		if err != nil || n != 2 {
			t.Fatalf("Incr = %d, %v", n, err)
		}
	})
}
