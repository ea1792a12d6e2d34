package sessions_test

import (
	"errors"
	"io"
	"net/http"
	"strings"
	"sync"
	"testing"

	sessions "github.com/gosessions/sessions/core"
)

// sessionCookie returns the response's session cookie, failing t when it
// has none.
func sessionCookie(t testing.TB, resp *http.Response) *http.Cookie {
	t.Helper()
	for _, c := range resp.Cookies() {
		if c.Name == sessions.DefaultCookieName {
			return c
		}
	}
	t.Fatal("the response sets no session cookie")
	return nil
}

// An Incr that fails on a value after Renew (issue 6, item 1) leaves the
// Renew standing: the old id stays dead, the new record is written at Save
// with what the request set, and nothing lands in the pre-login record.
func TestRenewSurvivesFailedIncr(t *testing.T) {
	t.Parallel()
	st, _ := newCookieStore(t, sessions.StoreOptions{MaxSize: 1024}, sessions.CookieOptions{})
	for name, incr := range map[string]struct {
		key   string
		delta int64
		want  error
	}{
		"not an integer": {"n", 1, sessions.ErrNotInteger},
		"out of range":   {"big", 1_000_000_000_000_000_000, sessions.ErrOutOfRange},
		"too large":      {strings.Repeat("k", 200), 1, sessions.ErrTooLarge},
	} {
		t.Run(name, func(t *testing.T) {
			old := exchange(t, st, nil, func(s *sessions.Session) {
				s.Set("n", "text")
				s.Set("big", 9_000_000_000_000_000_000)
				s.Set("pad", strings.Repeat("x", 800))
			}).Result().Cookies()
			resp := exchange(t, st, old, func(s *sessions.Session) {
				if err := s.Renew(); err != nil {
					t.Fatalf("Renew: %v", err)
				}
				if _, err := s.Incr(incr.key, incr.delta); !errors.Is(err, incr.want) {
					t.Fatalf("Incr = %v, want %v", err, incr.want)
				}
				if err := s.Set("user", "ada"); err != nil {
					t.Fatalf("Set after the failed Incr: %v", err)
				}
			}).Result()
			renewed := sessionCookie(t, resp)
			if renewed.Value == old[0].Value {
				t.Fatal("no new cookie: the Renew was undone")
			}
			exchange(t, st, old, func(s *sessions.Session) {
				if !s.IsNew() {
					t.Error("the pre-login id lives again")
				}
			})
			exchange(t, st, []*http.Cookie{renewed}, func(s *sessions.Session) {
				if v, _, _ := sessions.Get[string](s, "user"); v != "ada" {
					t.Errorf("renewed session: user = %q, want ada", v)
				}
				if v, _, _ := sessions.Get[string](s, "n"); v != "text" {
					t.Errorf("renewed session: n = %q, want the value kept", v)
				}
			})
		})
	}
}

// Renews racing the commit from another goroutine of the same request
// (issue 6, item 4): each either lands in the response (its cookie names
// a record holding the data) or fails with ErrCommitted; none returns nil
// and leaves the client holding a dead id.
func TestRenewRacingCommit(t *testing.T) {
	t.Parallel()
	st, _ := newCookieStore(t, sessions.StoreOptions{}, sessions.CookieOptions{DisableSecure: true})
	for range 20 {
		old := exchange(t, st, nil, func(s *sessions.Session) { s.Set("user", "ada") }).Result().Cookies()
		var wg sync.WaitGroup
		resp := serve(t, st, sessions.MiddlewareOptions{}, func(w http.ResponseWriter, r *http.Request) {
			s := sessions.FromContext(r.Context())
			started := make(chan struct{})
			wg.Add(1)
			go func() {
				defer wg.Done()
				close(started)
				// Renew until the commit refuses it: a Renew on a
				// renewed session costs nothing, so this spins
				// through the commit.
				for s.Renew() == nil {
				}
			}()
			<-started
			io.WriteString(w, "first byte")
			wg.Wait()
		}, old...)
		cookies := old
		for _, c := range resp.Cookies() {
			if c.Name == sessions.DefaultCookieName {
				cookies = []*http.Cookie{c}
			}
		}
		exchange(t, st, cookies, func(s *sessions.Session) {
			if v, _, _ := sessions.Get[string](s, "user"); v != "ada" {
				t.Fatal("after Renews racing the commit, the session the client holds lost its data")
			}
		})
	}
}
