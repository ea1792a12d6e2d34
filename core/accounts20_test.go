package sessions_test

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	sessions "github.com/gosessions/sessions/core"
)

// AuthenticatedAt: BindUser sets it; Renew keeps it; Reauthenticated moves
// it; it is stored, so another store (instance) reads it; it is zero
// without a user, and Reauthenticated refuses a session without one.
func TestAuthenticatedAt(t *testing.T) {
	t.Parallel()
	st, client := newCookieStore(t, sessions.StoreOptions{}, sessions.CookieOptions{})
	other, err := sessions.NewCookieStore(client, st.Options(), sessions.CookieOptions{Secrets: [][]byte{testSecret()}})
	if err != nil {
		t.Fatal(err)
	}
	anon := exchange(t, st, nil, func(s *sessions.Session) {
		s.Set("cart", "tea")
		if !s.AuthenticatedAt().IsZero() {
			t.Error("AuthenticatedAt without a user is not zero")
		}
		if err := s.Reauthenticated(); !errors.Is(err, sessions.ErrNoUser) {
			t.Errorf("Reauthenticated without a user: %v, want ErrNoUser", err)
		}
	}).Result().Cookies()
	before := time.Now().Add(-time.Millisecond)
	ada := login(t, st, anon, "ada", "laptop")
	var at time.Time
	exchange(t, other, ada, func(s *sessions.Session) { at = s.AuthenticatedAt() })
	if at.Before(before) || at.After(time.Now()) {
		t.Fatalf("AuthenticatedAt after login, read by another instance: %v, want about now", at)
	}
	time.Sleep(5 * time.Millisecond)
	renewed := exchange(t, st, ada, func(s *sessions.Session) { s.Renew() }).Result().Cookies()
	exchange(t, st, renewed, func(s *sessions.Session) {
		if got := s.AuthenticatedAt(); !got.Equal(at) {
			t.Errorf("AuthenticatedAt after Renew: %v, want %v (kept)", got, at)
		}
		if err := s.Reauthenticated(); err != nil {
			t.Fatal(err)
		}
	})
	exchange(t, other, renewed, func(s *sessions.Session) {
		if got := s.AuthenticatedAt(); !got.After(at) {
			t.Errorf("AuthenticatedAt after Reauthenticated: %v, want after %v", got, at)
		}
	})
}

// A login starts the absolute lifetime anew: with a short lifetime, an
// anonymous session that lived most of it does not cut the signed-in part
// short.
func TestLoginRestartsAbsoluteLifetime(t *testing.T) {
	t.Parallel()
	st, _ := newCookieStore(t, sessions.StoreOptions{IdleTimeout: time.Second, AbsoluteTimeout: 1500 * time.Millisecond}, sessions.CookieOptions{})
	anon := exchange(t, st, nil, func(s *sessions.Session) { s.Set("cart", "tea") }).Result().Cookies()
	time.Sleep(900 * time.Millisecond)
	exchange(t, st, anon, func(s *sessions.Session) { sessions.Get[string](s, "cart") }) // keep it alive
	ada := login(t, st, anon, "ada", "laptop")
	time.Sleep(800 * time.Millisecond) // 1.7 s after the anonymous start
	exchange(t, st, ada, func(s *sessions.Session) {
		if u, _ := s.BoundUser(); u != "ada" {
			t.Errorf("800ms after login (1.7s after the session began, 1.5s lifetime): user %q, want ada", u)
		}
	})
}

// RefuseOverCap: of 5 logins at once with a cap of 2, exactly 2 bind and 3
// are refused with ErrTooManySessions (409), whatever the interleaving;
// ending or revoking a session frees its seat at once.
func TestRefuseOverCap(t *testing.T) {
	t.Parallel()
	for round := range 10 {
		st, _ := newCookieStore(t, sessions.StoreOptions{MaxSessionsPerUser: 2, RefuseOverCap: true}, sessions.CookieOptions{})
		var wg sync.WaitGroup
		var bound, refused atomic.Int32
		jars := make([][]*http.Cookie, 5)
		for i := range 5 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				jars[i], _ = tryExchange(st, nil, func(s *sessions.Session) {
					s.Renew()
					switch err := s.BindUser("ada", "device"); {
					case err == nil:
						bound.Add(1)
					case errors.Is(err, sessions.ErrTooManySessions):
						refused.Add(1)
						if got := sessions.ErrorStatus(err); got != http.StatusConflict {
							t.Errorf("ErrorStatus(ErrTooManySessions) = %d, want 409", got)
						}
					default:
						t.Errorf("BindUser: %v", err)
					}
				})
			}()
		}
		wg.Wait()
		if bound.Load() != 2 || refused.Load() != 3 || len(list(t, st, "ada")) != 2 {
			t.Fatalf("round %d: %d bound, %d refused, %d listed; want 2, 3, 2", round, bound.Load(), refused.Load(), len(list(t, st, "ada")))
		}
		if round > 0 {
			continue
		}
		// Full: refused. A logout frees a seat at once.
		var first []*http.Cookie
		for _, jar := range jars {
			if boundTo(t, st, jar) == "ada" {
				first = jar
				break
			}
		}
		exchange(t, st, nil, func(s *sessions.Session) {
			if err := s.BindUser("ada", "x"); !errors.Is(err, sessions.ErrTooManySessions) {
				t.Errorf("login with every seat taken: %v, want ErrTooManySessions", err)
			}
		})
		exchange(t, st, first, func(s *sessions.Session) { s.Destroy() })
		if _, err := tryExchange(st, nil, func(s *sessions.Session) {
			if err := s.BindUser("ada", "after logout"); err != nil {
				t.Errorf("login after a logout freed a seat: %v", err)
			}
		}); err != nil {
			t.Fatal(err)
		}
		// Full again; a revoke frees a seat at once.
		l := list(t, st, "ada")
		if n, err := st.RevokeSession(context.Background(), "ada", l[0].Handle, nil); n != 1 || err != nil {
			t.Fatalf("revoke: %d, %v", n, err)
		}
		exchange(t, st, nil, func(s *sessions.Session) {
			if err := s.BindUser("ada", "after revoke"); err != nil {
				t.Errorf("login after a revoke freed a seat: %v", err)
			}
		})
		exchange(t, st, nil, func(s *sessions.Session) {
			if err := s.BindUser("ada", "one too many"); !errors.Is(err, sessions.ErrTooManySessions) {
				t.Errorf("login past the cap: %v, want ErrTooManySessions", err)
			}
		})
	}
}

// lockedRequest runs a request that takes the session's lock, then fn,
// then saves; it returns Lock's error.
func lockedRequest(st *sessions.Store, jar []*http.Cookie, fn func(s *sessions.Session)) (lockErr, saveErr error) {
	r := httptest.NewRequest(http.MethodGet, "/", nil)
	for _, c := range jar {
		r.AddCookie(c)
	}
	c := sessions.HTTPCarrier(httptest.NewRecorder(), r)
	s := st.Load(context.Background(), c)
	if lockErr = s.Lock(); lockErr == nil {
		fn(s)
	}
	return lockErr, st.Save(context.Background(), c, s)
}

// Lock: requests of one session that take the lock run one at a time; a
// request that waits longer than LockWait fails with ErrLocked (423); the
// lock of a request that died holding it ends with its lease; a holder
// that outlives its lease loses the lock, and its save fails with
// ErrConflict; requests that never call Lock do not wait.
func TestSessionLock(t *testing.T) {
	t.Parallel()
	st, _ := newCookieStore(t, sessions.StoreOptions{LockLease: 2500 * time.Millisecond, LockWait: time.Second}, sessions.CookieOptions{})
	jar := exchange(t, st, nil, func(s *sessions.Session) { s.Set("n", 0) }).Result().Cookies()

	// Ten checkouts at once: one at a time, none lost.
	var wg sync.WaitGroup
	var inside, most atomic.Int32
	for range 10 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			lockErr, saveErr := lockedRequest(st, jar, func(s *sessions.Session) {
				if n := inside.Add(1); n > most.Load() {
					most.Store(n)
				}
				n, _, _ := sessions.Get[int](s, "n")
				time.Sleep(5 * time.Millisecond)
				s.Set("n", n+1) // a plain read-modify-write: safe under the lock
				inside.Add(-1)
			})
			if lockErr != nil || saveErr != nil {
				t.Errorf("checkout: lock %v, save %v", lockErr, saveErr)
			}
		}()
	}
	wg.Wait()
	exchange(t, st, jar, func(s *sessions.Session) {
		if n, _, _ := sessions.Get[int](s, "n"); n != 10 || most.Load() != 1 {
			t.Errorf("ten locked read-modify-writes: n = %d, at most %d at once; want 10, 1", n, most.Load())
		}
	})

	// A holder that dies (no save): the next waits for the lease, or
	// gives up after LockWait.
	r := httptest.NewRequest(http.MethodGet, "/", nil)
	for _, c := range jar {
		r.AddCookie(c)
	}
	dead := st.Load(context.Background(), sessions.HTTPCarrier(httptest.NewRecorder(), r))
	if err := dead.Lock(); err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	lockErr, _ := lockedRequest(st, jar, func(*sessions.Session) {})
	if !errors.Is(lockErr, sessions.ErrLocked) || sessions.ErrorStatus(lockErr) != http.StatusLocked {
		t.Fatalf("Lock while a dead request holds it: %v, want ErrLocked (423)", lockErr)
	}
	if d := time.Since(start); d > 1500*time.Millisecond {
		t.Errorf("Lock gave up after %v, LockWait is 1s", d)
	}
	// Requests that never call Lock do not wait.
	exchange(t, st, jar, func(s *sessions.Session) { s.Incr("free", 1) })
	time.Sleep(1600 * time.Millisecond) // past the dead holder's lease
	if lockErr, saveErr := lockedRequest(st, jar, func(*sessions.Session) {}); lockErr != nil || saveErr != nil {
		t.Fatalf("Lock after the dead holder's lease: %v, %v", lockErr, saveErr)
	}

	// A holder past its lease: its save fails with ErrConflict.
	_, saveErr := lockedRequest(st, jar, func(s *sessions.Session) {
		time.Sleep(2600 * time.Millisecond)
		s.Set("late", 1)
	})
	if !errors.Is(saveErr, sessions.ErrConflict) {
		t.Errorf("save of a holder past its lease: %v, want ErrConflict", saveErr)
	}
}
