package sessionstest

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"sync"
	"testing"
	"time"

	sessions "github.com/gosessions/sessions/core"
)

// lockRoutes are the kit's routes on recent authentication and the
// session lock.
func lockRoutes() []Route {
	return []Route{
		// POST /lock-incr k=K ms=M: take the lock, read K, wait M ms, set
		// K to one more: a plain read-modify-write, safe only under the
		// lock. 423 when the lock stays taken.
		{http.MethodPost, "/lock-incr", func(s *sessions.Session, form url.Values) (int, any) {
			if err := s.Lock(); err != nil {
				if errors.Is(err, sessions.ErrLocked) {
					return sessions.ErrorStatus(err), obj{"error": "locked"}
				}
				return http.StatusOK, obj{"ok": false} // the integration answers a store failure
			}
			v, _, _ := sessions.Get[string](s, form.Get("k"))
			n, _ := strconv.Atoi(v)
			ms, _ := strconv.Atoi(form.Get("ms"))
			time.Sleep(time.Duration(ms) * time.Millisecond)
			_ = s.Set(form.Get("k"), strconv.Itoa(n+1)) // a short string: no error but the store's, which the save reports
			return http.StatusOK, obj{"n": n + 1}
		}},
		// GET /authat: AuthenticatedAt in Unix ms (0 for the zero time).
		{http.MethodGet, "/authat", func(s *sessions.Session, _ url.Values) (int, any) {
			at := s.AuthenticatedAt()
			if at.IsZero() {
				return http.StatusOK, obj{"at": 0}
			}
			return http.StatusOK, obj{"at": at.UnixMilli()}
		}},
		// POST /reauth: Reauthenticated.
		{http.MethodPost, "/reauth", func(s *sessions.Session, _ url.Values) (int, any) {
			return http.StatusOK, obj{"ok": s.Reauthenticated() == nil}
		}},
	}
}

// accounts20Checks are the behaviours of recent authentication, the
// refusing cap and the session lock.
func accounts20Checks() []check {
	return []check{
		{"auth-time", checkAuthTime},
		{"lock-serial", checkLockSerial},
		{"lock-killed-holder", checkLockKilledHolder},
		{"cap-refuse-concurrent", checkCapRefuseConcurrent},
		{"cap-refuse-staged", checkCapRefuseStaged},
	}
}

// checkAuthTime: AuthenticatedAt is zero before login, set by it, kept by
// Renew, moved by Reauthenticated.
func checkAuthTime(t *testing.T, s *suite) {
	f := s.setup(t, sessions.StoreOptions{})
	c := f.client(t)
	c.set("cart", "tea")
	if at := c.do(http.MethodGet, "/authat", nil).num("at"); at != 0 {
		t.Errorf("AuthenticatedAt before login: %v, want 0", at)
	}
	before := time.Now().Add(-time.Second).UnixMilli()
	c.login("ada", "laptop")
	at := c.do(http.MethodGet, "/authat", nil).num("at")
	if at < before || at > time.Now().Add(time.Second).UnixMilli() {
		t.Fatalf("AuthenticatedAt after login: %v, want about now", at)
	}
	time.Sleep(10 * time.Millisecond)
	c.do(http.MethodPost, "/renew", url.Values{"user": {"ada"}})
	if got := c.do(http.MethodGet, "/authat", nil).num("at"); got != at {
		t.Errorf("AuthenticatedAt after Renew: %v, want %v (kept)", got, at)
	}
	if r := c.do(http.MethodPost, "/reauth", nil); !r.bool("ok") {
		t.Fatalf("POST /reauth: %v", r.body)
	}
	if got := c.do(http.MethodGet, "/authat", nil).num("at"); got <= at {
		t.Errorf("AuthenticatedAt after Reauthenticated: %v, want after %v", got, at)
	}
}

// checkLockSerial: requests of one session that take its lock run one at a
// time: eight read-modify-writes at once lose nothing.
func checkLockSerial(t *testing.T, s *suite) {
	f := s.setup(t, sessions.StoreOptions{})
	c := f.client(t)
	c.set("cart", "tea")
	var wg sync.WaitGroup
	for range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			r, err := c.try(http.MethodPost, "/lock-incr", url.Values{"k": {"n"}, "ms": {"5"}})
			if err != nil || r.status != http.StatusOK {
				t.Errorf("POST /lock-incr: %v, status %d, body %v", err, r.status, r.body)
			}
		}()
	}
	wg.Wait()
	c.wantValue("n", "8")
}

// checkLockKilledHolder: a request killed while it holds the lock (it
// never saves) keeps it until its lease ends: a request that cannot wait
// that long gets 423, the next one after the lease gets the lock.
func checkLockKilledHolder(t *testing.T, s *suite) {
	const lease, wait = 1200 * time.Millisecond, 300 * time.Millisecond
	f := s.setup(t, sessions.StoreOptions{LockLease: lease, LockWait: wait, Timeout: time.Second})
	c := f.client(t)
	c.set("n", "0")
	// The killed request: it takes the lock, then is never heard of.
	r := httptest.NewRequest(http.MethodPost, "/", nil)
	s.tk.attach(r, c.current())
	killed := f.store.Load(context.Background(), sessions.HTTPCarrier(httptest.NewRecorder(), r))
	if err := killed.Lock(); err != nil {
		t.Fatalf("the killed request's Lock: %v", err)
	}
	taken := time.Now()
	start := time.Now()
	if r := c.do(http.MethodPost, "/lock-incr", url.Values{"k": {"n"}}); r.status != http.StatusLocked {
		t.Fatalf("POST /lock-incr while a killed request holds the lock: status %d, body %v; want 423", r.status, r.body)
	}
	if d := time.Since(start); d < wait-50*time.Millisecond || d > wait+time.Second {
		t.Errorf("gave up after %v, want about LockWait (%v)", d, wait)
	}
	time.Sleep(time.Until(taken.Add(lease + 50*time.Millisecond)))
	if r := c.do(http.MethodPost, "/lock-incr", url.Values{"k": {"n"}}); r.status != http.StatusOK {
		t.Fatalf("POST /lock-incr after the killed holder's lease: status %d, body %v", r.status, r.body)
	}
	c.wantValue("n", "1")
}

// loginStatus logs c in as user and returns the status.
func (c *client) loginStatus(user, label string) int {
	c.t.Helper()
	r, err := c.try(http.MethodPost, "/login", url.Values{"user": {user}, "label": {label}})
	if err != nil {
		c.t.Errorf("POST /login: %v", err)
	}
	return r.status
}

// checkCapRefuseConcurrent: with RefuseOverCap and a cap of 2, five logins
// at once bind exactly two and refuse three (409); a logout frees a seat at
// once.
func checkCapRefuseConcurrent(t *testing.T, s *suite) {
	f := s.setup(t, sessions.StoreOptions{MaxSessionsPerUser: 2, RefuseOverCap: true})
	clients := make([]*client, 5)
	statuses := make([]int, 5)
	var wg sync.WaitGroup
	for i := range clients {
		clients[i] = f.client(t)
		wg.Add(1)
		go func() {
			defer wg.Done()
			statuses[i] = clients[i].loginStatus("ada", "device")
		}()
	}
	wg.Wait()
	var in []*client
	refused := 0
	for i, st := range statuses {
		switch st {
		case http.StatusOK:
			in = append(in, clients[i])
		case http.StatusConflict:
			refused++
		default:
			t.Errorf("login %d: status %d", i, st)
		}
	}
	if len(in) != 2 || refused != 3 {
		t.Fatalf("five logins at once, cap 2: %d bound, %d refused; want 2 and 3", len(in), refused)
	}
	if l, _ := in[0].listed(); len(l) != 2 {
		t.Errorf("listed %d, want 2", len(l))
	}
	in[0].do(http.MethodPost, "/destroy", nil)
	if st := f.client(t).loginStatus("ada", "after a logout"); st != http.StatusOK {
		t.Errorf("a login after a logout freed a seat: status %d, want 200", st)
	}
}

// checkCapRefuseStaged: with RefuseOverCap and a cap of 1, two logins
// interleaved through the second instance's proxy: the seat goes to the
// login that takes it first, whatever the order of the two logins' other
// steps, and the other is refused.
func checkCapRefuseStaged(t *testing.T, s *suite) {
	t.Run("seat-taken-binding-late", func(t *testing.T) {
		// A takes the seat; its binding's write is held. B, meanwhile,
		// is refused: the seat is taken though A is not bound yet. A's
		// binding then lands.
		f := s.setup(t, sessions.StoreOptions{MaxSessionsPerUser: 1, RefuseOverCap: true, LocalCache: noCache})
		p2, base2 := f.second(t)
		a := f.clientAt(t, base2)
		a.set("x", "1")
		p2.reset()
		release := p2.delayCommands(2) // A's load and seat go through; its save waits
		done := make(chan int, 1)
		go func() { done <- a.loginStatus("ada", "a") }()
		waitCommands(t, p2, 3)
		if st := f.client(t).loginStatus("ada", "b"); st != http.StatusConflict {
			t.Errorf("B's login while A holds the only seat: status %d, want 409", st)
		}
		release()
		if st := <-done; st != http.StatusOK {
			t.Fatalf("A's login: status %d", st)
		}
		if l, h := a.listed(); len(l) != 1 || !l[h] {
			t.Errorf("A after the staged logins: listed %v, want A alone", l)
		}
	})
	t.Run("seat-request-late", func(t *testing.T) {
		// A's request for the seat is held; B logs in meanwhile and
		// takes it; A is then refused.
		f := s.setup(t, sessions.StoreOptions{MaxSessionsPerUser: 1, RefuseOverCap: true, LocalCache: noCache})
		p2, base2 := f.second(t)
		a := f.clientAt(t, base2)
		a.set("x", "1")
		p2.reset()
		release := p2.delayCommands(1) // A's load goes through; its seat waits
		done := make(chan int, 1)
		go func() { done <- a.loginStatus("ada", "a") }()
		waitCommands(t, p2, 2)
		b := f.client(t)
		if st := b.loginStatus("ada", "b"); st != http.StatusOK {
			t.Fatalf("B's login: status %d, want 200", st)
		}
		release()
		if st := <-done; st != http.StatusConflict {
			t.Errorf("A's login, whose seat request came after B's: status %d, want 409", st)
		}
		if l, h := b.listed(); len(l) != 1 || !l[h] {
			t.Errorf("B after the staged logins: listed %v, want B alone", l)
		}
	})
}
