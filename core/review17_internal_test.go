package sessions

// Regression tests from the adversarial review of the one-key core and
// the accounts (the review's findings, each failing before its fix).

import (
	"context"
	"errors"
	"github.com/redis/go-redis/v9"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

func rxLoad(st *Store, ck []*http.Cookie) (*Session, Carrier) {
	r := httptest.NewRequest(http.MethodGet, "/", nil)
	for _, c := range ck {
		r.AddCookie(c)
	}
	c := HTTPCarrier(httptest.NewRecorder(), r)
	return st.Load(context.Background(), c), c
}

// F2: a request that holds the lock and whose Update meets a concurrent
// change (a conflict, rerun and then saved) forgets that it holds the
// lock: the lock stays in the record until its lease ends.
func TestReview17LockLeakAfterUpdateConflict(t *testing.T) {
	st := reviewStore(t, StoreOptions{LockWait: 300 * time.Millisecond})
	ck := rx(t, st, nil, func(s *Session) { s.Set("cart", 1) })

	a, ac := rxLoad(st, ck)
	if err := a.Lock(); err != nil {
		t.Fatal(err)
	}
	if _, _, err := Get[int](a, "cart"); err != nil { // A reads
		t.Fatal(err)
	}
	rx(t, st, ck, func(s *Session) { s.Set("other", 2) }) // B changes the session (no lock)
	runs := 0
	if err := a.Update(func(s *Session) error {
		runs++
		v, _, _ := Get[int](s, "cart")
		return s.Set("cart", v+1)
	}); err != nil {
		t.Fatalf("Update: %v", err)
	}
	if err := st.Save(context.Background(), ac, a); err != nil {
		t.Fatal(err)
	}
	t.Logf("fn ran %d times", runs)
	// A is done: its lock must be free.
	c, cc := rxLoad(st, ck)
	start := time.Now()
	err := c.Lock()
	t.Logf("next Lock after A finished: %v after %v", err, time.Since(start))
	if errors.Is(err, ErrLocked) {
		t.Errorf("the lock of a finished request is still held: %v", err)
	}
	st.Save(context.Background(), cc, c)
}

// F2b: same with StoreOptions.Optimistic: a save that conflicts leaves the lock held.
func TestReview17LockLeakAfterOptimisticConflict(t *testing.T) {
	st := reviewStore(t, StoreOptions{Optimistic: true, LockWait: 300 * time.Millisecond})
	ck := rx(t, st, nil, func(s *Session) { s.Set("cart", 1) })
	a, ac := rxLoad(st, ck)
	if err := a.Lock(); err != nil {
		t.Fatal(err)
	}
	Get[int](a, "cart")
	rx(t, st, ck, func(s *Session) { s.Set("other", 2) })
	a.Set("cart", 5)
	err := st.Save(context.Background(), ac, a)
	t.Logf("A's save: %v", err)
	c, cc := rxLoad(st, ck)
	err = c.Lock()
	if errors.Is(err, ErrLocked) {
		t.Errorf("the lock of a finished request (its save conflicted) is still held: %v", err)
	}
	st.Save(context.Background(), cc, c)
}

// F2c: a save refused as too large leaves the lock held.
func TestReview17LockLeakAfterTooLarge(t *testing.T) {
	st := reviewStore(t, StoreOptions{MaxSize: 300, LockWait: 300 * time.Millisecond})
	ck := rx(t, st, nil, func(s *Session) { s.Set("cart", 1) })
	a, ac := rxLoad(st, ck)
	if err := a.Lock(); err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{"x", "y", "z"} {
		if err := a.Set(k, strings.Repeat("v", 120)); err != nil {
			t.Fatal(err)
		}
	}
	t.Logf("A's save: %v", st.Save(context.Background(), ac, a))
	c, cc := rxLoad(st, ck)
	if err := c.Lock(); errors.Is(err, ErrLocked) {
		t.Errorf("the lock of a finished request (its save refused) is still held: %v", err)
	}
	st.Save(context.Background(), cc, c)
}

// F3: under RefuseOverCap, a second login on a session already bound to
// the same user restarts the session's absolute deadline but not its
// index entry (admitScript returns early for an existing member): once
// the first login is AbsoluteTimeout+1m old the entry is dropped, and the
// still-live, still-bound session is unlisted and survives
// DestroyUserSessions.
func TestReview17RefuseOverCapReloginUnlisted(t *testing.T) {
	for _, refuse := range []bool{false, true} {
		so := StoreOptions{IdleTimeout: 2 * time.Minute, AbsoluteTimeout: 2 * time.Minute}
		if refuse {
			so.MaxSessionsPerUser, so.RefuseOverCap = 3, true
		}
		st := reviewStore(t, so)
		var off atomic.Int64
		st.now = func() time.Time { return time.Now().Add(time.Duration(off.Load())) }
		ck := rx(t, st, nil, func(s *Session) { s.Renew(); s.BindUser("ada", "laptop") })
		off.Store(int64(100 * time.Second))
		ck = rx(t, st, ck, func(s *Session) { s.Renew(); s.BindUser("ada", "laptop") }) // login again
		off.Store(int64(190 * time.Second))
		rx(t, st, nil, func(s *Session) { s.Renew(); s.BindUser("ada", "phone") }) // a login elsewhere touches the index
		var dl time.Time
		rx(t, st, ck, func(s *Session) { dl = s.Deadline() })
		l, _ := st.ListSessions(context.Background(), "ada", nil)
		n, _ := st.DestroyUserSessions(context.Background(), "ada", nil)
		var u string
		rx(t, st, ck, func(s *Session) { u, _ = s.BoundUser() })
		t.Logf("RefuseOverCap=%v: deadline in %v, listed %d, log-out-everywhere ended %d, session still bound to %q",
			refuse, dl.Sub(st.now()).Round(time.Second), len(l), n, u)
		if u != "" {
			t.Errorf("RefuseOverCap=%v: a live session bound to ada survived DestroyUserSessions", refuse)
		}
	}
}

// cancelHook runs the next EVALSHA/EVAL, then cancels the request's
// context and reports its end, as go-redis does when the caller's context
// ends while the reply is on its way: the script ran on the server.
type cancelHook struct {
	armed  atomic.Bool
	cancel context.CancelFunc
}

func (h *cancelHook) DialHook(next redis.DialHook) redis.DialHook { return next }
func (h *cancelHook) ProcessPipelineHook(next redis.ProcessPipelineHook) redis.ProcessPipelineHook {
	return next
}
func (h *cancelHook) ProcessHook(next redis.ProcessHook) redis.ProcessHook {
	return func(ctx context.Context, cmd redis.Cmder) error {
		err := next(ctx, cmd)
		if (cmd.Name() == "evalsha" || cmd.Name() == "eval") && err == nil && h.armed.CompareAndSwap(true, false) {
			h.cancel()
			cmd.SetErr(context.Canceled)
			return context.Canceled
		}
		return err
	}
}

// F5: Renew, then an Incr whose reply is lost because the client went away
// (the script ran); the handler goes on and sets a value; the save (run
// without the cancellation) is answered "ok" by the script's Renew-retry
// recognition (the record already holds the new verifier) and applies
// nothing: the Set is silently dropped, and Save returns nil.
func TestReview17RenewCanceledIncrLosesSave(t *testing.T) {
	st := reviewStore(t, StoreOptions{})
	ck := rx(t, st, nil, func(s *Session) { s.Set("a", 1) })
	ctx, cancel := context.WithCancel(context.Background())
	h := &cancelHook{cancel: cancel}
	st.client.AddHook(h)

	r := httptest.NewRequest(http.MethodGet, "/", nil)
	for _, c := range ck {
		r.AddCookie(c)
	}
	w := httptest.NewRecorder()
	c := HTTPCarrier(w, r)
	s := st.Load(ctx, c)
	if err := s.Renew(); err != nil {
		t.Fatal(err)
	}
	h.armed.Store(true)
	_, err := s.Incr("logins", 1)
	t.Logf("Incr: %v", err)
	if err := s.Set("greeting", "hello"); err != nil {
		t.Fatal(err)
	}
	serr := st.Save(ctx, c, s)
	t.Logf("Save: %v; cookies set: %d", serr, len(w.Result().Cookies()))
	var g string
	var ok bool
	var n int64
	rx(t, st, w.Result().Cookies(), func(s *Session) {
		g, ok, _ = Get[string](s, "greeting")
		n, _, _ = Get[int64](s, "logins")
	})
	t.Logf("with the new cookie: greeting=%q (present %v), logins=%d", g, ok, n)
	if serr == nil && !ok {
		t.Errorf("Save returned nil but the value set was not saved")
	}
}

// F5b: the same, and the handler tries the Incr again: the second write
// carries the same (old, new) verifier pair with a new nonce, the script
// answers "ok" without incr results, and Incr indexes an empty slice.
func TestReview17RenewCanceledIncrTwicePanics(t *testing.T) {
	st := reviewStore(t, StoreOptions{})
	ck := rx(t, st, nil, func(s *Session) { s.Set("a", 1) })
	ctx, cancel := context.WithCancel(context.Background())
	h := &cancelHook{cancel: cancel}
	st.client.AddHook(h)
	r := httptest.NewRequest(http.MethodGet, "/", nil)
	for _, c := range ck {
		r.AddCookie(c)
	}
	s := st.Load(ctx, HTTPCarrier(httptest.NewRecorder(), r))
	s.Renew()
	h.armed.Store(true)
	_, err := s.Incr("n", 1)
	t.Logf("first Incr: %v", err)
	defer func() {
		if p := recover(); p != nil {
			t.Errorf("second Incr panicked: %v", p)
		}
	}()
	n, err := s.Incr("n", 1)
	t.Logf("second Incr: %d, %v", n, err)
}

// beforeHook runs fn once, right before the next command named name.
type beforeHook struct {
	name string
	fn   atomic.Pointer[func()]
}

func (h *beforeHook) DialHook(next redis.DialHook) redis.DialHook { return next }
func (h *beforeHook) ProcessPipelineHook(next redis.ProcessPipelineHook) redis.ProcessPipelineHook {
	return next
}
func (h *beforeHook) ProcessHook(next redis.ProcessHook) redis.ProcessHook {
	return func(ctx context.Context, cmd redis.Cmder) error {
		if cmd.Name() == h.name {
			if f := h.fn.Swap(nil); f != nil {
				(*f)()
			}
		}
		return next(ctx, cmd)
	}
}

// F6: the index pruning decides on a snapshot and removes by member: a
// login that binds the same session (tag) to the user again between the
// snapshot and the ZREM (a shared computer: ada, then bob, then ada again)
// has its fresh index entry removed. The session is bound to ada, unlisted,
// and survives DestroyUserSessions.
func TestReview17PruneRemovesFreshEntry(t *testing.T) {
	st := reviewStore(t, StoreOptions{})
	var off atomic.Int64
	st.now = func() time.Time { return time.Now().Add(time.Duration(off.Load())) }
	c2, _ := NewClient(os.Getenv("REDICT_URL"))
	defer c2.Close()
	st2 := *st
	st2.client = c2 // the other instance, serving the login

	ck := rx(t, st, nil, func(s *Session) { s.Renew(); s.BindUser("ada", "shared pc") })
	ck = rx(t, st, ck, func(s *Session) { s.Renew(); s.BindUser("bob", "shared pc") })
	off.Store(int64(time.Minute)) // ada's old entry is now settled
	h := &beforeHook{name: "zrem"}
	st.client.AddHook(h)
	f := func() { ck = rx(t, &st2, ck, func(s *Session) { s.Renew(); s.BindUser("ada", "shared pc") }) }
	h.fn.Store(&f)
	l, err := st.ListSessions(context.Background(), "ada", nil) // prunes the (then) dead entry
	t.Logf("listing that raced the login: %d, %v", len(l), err)

	l, _ = st.ListSessions(context.Background(), "ada", nil)
	n, _ := st.DestroyUserSessions(context.Background(), "ada", nil)
	var u string
	rx(t, st, ck, func(s *Session) { u, _ = s.BoundUser() })
	t.Logf("after: ada lists %d, log-out-everywhere ended %d, session bound to %q", len(l), n, u)
	if u == "ada" {
		t.Errorf("a session bound to ada is unlisted and survived DestroyUserSessions")
	}
}

// F8: RefuseOverCap: a seat taken at BindUser is pruned as "never saved"
// once older than settleTime while its request is still running; another
// login takes it; then the first request saves, and its create skips the
// admission (s.admitted matches): two sessions bound with a cap of 1.
func TestReview17RefuseOverCapSlowLogin(t *testing.T) {
	st := reviewStore(t, StoreOptions{MaxSessionsPerUser: 1, RefuseOverCap: true})
	var off atomic.Int64
	st.now = func() time.Time { return time.Now().Add(time.Duration(off.Load())) }
	a, ac := rxLoad(st, nil)
	if err := a.BindUser("ada", "slow login"); err != nil {
		t.Fatal(err)
	}
	off.Store(int64(11 * time.Second)) // A's handler is still busy
	b, bc := rxLoad(st, nil)
	errB := b.BindUser("ada", "phone")
	st.Save(context.Background(), bc, b)
	errA := st.Save(context.Background(), ac, a)
	l, _ := st.ListSessions(context.Background(), "ada", nil)
	t.Logf("B's BindUser: %v; A's save: %v; ada's sessions: %d (cap 1)", errB, errA, len(l))
	for _, x := range l {
		t.Logf("listed: %s", x.Label)
	}
	aCookies := ac.(*httpCarrier).w.(interface{ Result() *http.Response }).Result().Cookies()
	var u string
	rx(t, st, aCookies, func(s *Session) { u, _ = s.BoundUser() })
	n, _ := st.DestroyUserSessions(context.Background(), "ada", nil)
	var u2 string
	rx(t, st, aCookies, func(s *Session) { u2, _ = s.BoundUser() })
	t.Logf("A's session bound to %q; log-out-everywhere ended %d; A then bound to %q", u, n, u2)
	if u == "ada" && len(l) < 2 {
		t.Errorf("A is bound to ada but not listed")
	}
	if u2 != "" {
		t.Errorf("A survived DestroyUserSessions")
	}
	if len(l) > 1 {
		t.Errorf("RefuseOverCap admitted %d sessions with a cap of 1", len(l))
	}
}

func TestReview17RevokeCurrentStaleCount(t *testing.T) {
	st := reviewStore(t, StoreOptions{})
	ck := rx(t, st, nil, func(s *Session) { s.Renew(); s.BindUser("ada", "laptop") })
	s, _ := rxLoad(st, ck)
	h := s.Handle() // loads
	live := rx(t, st, ck, func(s *Session) { s.Renew() })
	n, err := st.RevokeSession(context.Background(), "ada", h, s)
	var u string
	rx(t, st, live, func(s *Session) { u, _ = s.BoundUser() })
	t.Logf("RevokeSession = %d, %v; the session after: bound to %q", n, err, u)
	if n == 1 && u == "ada" {
		t.Errorf("RevokeSession reported 1 ended, nothing was")
	}
}

// Held: a stale credential (Renew elsewhere after this request loaded)
// cannot change, lock, reauthenticate, destroy or spare the live session.
func TestReview17StalePaths(t *testing.T) {
	st := reviewStore(t, StoreOptions{MaxSessionsPerUser: 3, LockWait: 200 * time.Millisecond})
	old := rx(t, st, nil, func(s *Session) { s.Renew(); s.BindUser("ada", "laptop"); s.Set("cart", "tea") })
	type step struct {
		name string
		fn   func(s *Session)
	}
	steps := []step{
		{"Incr", func(s *Session) { s.Incr("n", 1) }},
		{"Update", func(s *Session) { s.Update(func(s *Session) error { return s.Set("cart", "stale") }) }},
		{"Lock", func(s *Session) { s.Lock() }},
		{"Reauthenticated", func(s *Session) { s.Reauthenticated() }},
		{"BindUser", func(s *Session) { s.BindUser("mallory", "x") }},
		{"Destroy", func(s *Session) { s.Destroy() }},
		{"RevokeSession current", func(s *Session) { st.RevokeSession(context.Background(), "ada", s.Handle(), s) }},
		{"Renew", func(s *Session) { s.Renew() }},
	}
	live := old
	for _, sp := range steps {
		// A request that has *loaded* with the current credential ...
		s, c := rxLoad(st, live)
		s.mu.Lock()
		s.ensure()
		s.mu.Unlock()
		// ... another renews it ...
		live = rx(t, st, live, func(s *Session) { s.Renew() })
		var authBefore time.Time
		rx(t, st, live, func(s *Session) { authBefore = s.AuthenticatedAt() })
		time.Sleep(2 * time.Millisecond)
		sp.fn(s)
		st.Save(context.Background(), c, s)
		var cart string
		var u string
		var n int64
		var auth time.Time
		var lockErr error
		rx(t, st, live, func(s *Session) {
			cart, _, _ = Get[string](s, "cart")
			n, _, _ = Get[int64](s, "n")
			u, _ = s.BoundUser()
			auth = s.AuthenticatedAt()
			lockErr = s.Lock()
		})
		l, _ := st.ListSessions(context.Background(), "ada", nil)
		if cart != "tea" || u != "ada" || n != 0 || !auth.Equal(authBefore) || lockErr != nil || len(l) != 1 {
			t.Errorf("%s by a stale credential changed the live session: cart %q user %q n %d auth changed %v lock %v listed %d",
				sp.name, cart, u, n, !auth.Equal(authBefore), lockErr, len(l))
		}
	}
	// DestroyUserSessions except a stale session spares nothing.
	s, _ := rxLoad(st, live) // not loaded before the Renew
	rx(t, st, live, func(s *Session) { s.Renew() })
	n, _ := st.DestroyUserSessions(context.Background(), "ada", s)
	if n != 1 {
		t.Errorf("DestroyUserSessions(except stale) ended %d, want the live one", n)
	}
}
