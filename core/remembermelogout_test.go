package sessions_test

import (
	"testing"

	sessions "github.com/gosessions/sessions/core"
)

// RememberMe(true) survives Destroy: the post-logout session gets a persistent cookie.
func TestRememberMeSurvivesDestroy(t *testing.T) {
	st, _ := newCookieStore(t, sessions.StoreOptions{}, sessions.CookieOptions{BrowserSession: true})
	login := exchange(t, st, nil, func(s *sessions.Session) { s.Set("user", "ada"); s.RememberMe(true) }).Result().Cookies()
	if login[0].MaxAge <= 0 {
		t.Fatal("precondition: remembered cookie is persistent")
	}
	out := exchange(t, st, login, func(s *sessions.Session) {
		s.Destroy()
		s.AddFlash("logged out")
	}).Result().Cookies()
	for _, c := range out {
		if c.Value != "" && c.MaxAge > 0 {
			t.Errorf("after Destroy, the new anonymous session's cookie is persistent (Max-Age=%d) though the store is BrowserSession: the old session's RememberMe choice carried over", c.MaxAge)
		}
	}
}
