package sessionstest

import (
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"sync"
	"testing"

	sessions "github.com/gosessions/sessions/core"
)

// commonChecks are the behaviours every transport must show.
func commonChecks() []check {
	return append([]check{
		{"untouched", checkUntouched},
		{"read-without-session", checkReadWithoutSession},
		{"set-then-get", checkSetThenGet},
		{"modify-live", checkModifyLive},
		{"incr", checkIncr},
		{"incr-concurrent", checkIncrConcurrent},
		{"concurrent-keys", checkConcurrentKeys},
		{"update-concurrent", checkUpdateConcurrent},
		{"renew", checkRenew},
		{"destroy", checkDestroy},
		{"destroy-then-set", checkDestroyThenSet},
		{"flash", checkFlash},
		{"clear", checkClear},
		{"bad-input", checkBadInput},
		{"store-keys", checkStoreKeys},
		{"idle-expiry", checkIdleExpiry},
		{"idle-rolling", checkIdleRolling},
		{"absolute-lifetime", checkAbsoluteLifetime},
		{"size", checkSize},
		{"store-cut", checkStoreCut},
		{"store-stall", checkStoreStall},
		{"parity", checkParity},
		{"one-key", checkOneKey},
		{"accounts-by-binding", checkAccountsByBinding},
		{"handler-error", checkHandlerError},
	}, append(accountChecks(), accounts20Checks()...)...)
}

// wantNoToken fails t if r sets or clears the client's token.
func wantNoToken(t testing.TB, what string, r reply) {
	t.Helper()
	if r.set || r.cleared {
		t.Errorf("%s: token set %v, cleared %v; want neither", what, r.set, r.cleared)
	}
}

// wantStatus fails t now unless r has the status.
func wantStatus(t testing.TB, what string, r reply, status int) {
	t.Helper()
	if r.status != status {
		t.Fatalf("%s: status %d, want %d; body %v", what, r.status, status, r.body)
	}
}

// checkUntouched: a request that never touches its session costs no store
// command and neither sets nor clears a token, with or without one.
func checkUntouched(t *testing.T, s *suite) {
	f := s.setup(t, sessions.StoreOptions{})
	c := f.client(t)
	f.proxy.reset()
	r := c.do(http.MethodGet, "/untouched", nil)
	wantStatus(t, "GET /untouched without a token", r, http.StatusOK)
	wantNoToken(t, "GET /untouched without a token", r)
	f.wantCommands(t, 0, 0, "GET /untouched without a token")

	c.set("a", "1")
	f.proxy.reset()
	r = c.do(http.MethodGet, "/untouched", nil)
	wantStatus(t, "GET /untouched with a live token", r, http.StatusOK)
	wantNoToken(t, "GET /untouched with a live token", r)
	f.wantCommands(t, 0, 0, "GET /untouched with a live token")
}

// checkReadWithoutSession: reading without a token finds nothing, issues
// no token and costs no store command.
func checkReadWithoutSession(t *testing.T, s *suite) {
	f := s.setup(t, sessions.StoreOptions{})
	c := f.client(t)
	f.proxy.reset()
	r := c.do(http.MethodGet, "/get", url.Values{"k": {"a"}})
	wantStatus(t, "GET /get without a token", r, http.StatusOK)
	if r.bool("found") {
		t.Errorf("GET /get without a token: found %q", r.str("v"))
	}
	wantNoToken(t, "GET /get without a token", r)
	f.wantCommands(t, 0, 0, "GET /get without a token")
	f.wantKeys(t, 0, "after a read without a session")
}

// checkSetThenGet: a set issues a token that reads the value back; a
// read-only request costs one store command and issues no new token.
func checkSetThenGet(t *testing.T, s *suite) {
	f := s.setup(t, sessions.StoreOptions{})
	c := f.client(t)
	r := c.set("a", "hello")
	if !r.set || r.token == "" {
		t.Fatalf("POST /set without a token: no token issued")
	}
	c.wantValue("a", "hello") // warms up the load path too
	f.proxy.reset()
	r = c.do(http.MethodGet, "/get", url.Values{"k": {"a"}})
	if !r.bool("found") || r.str("v") != "hello" {
		t.Errorf("GET /get a again: body %v, want hello", r.body)
	}
	wantNoToken(t, "read-only GET /get", r)
	if f.so.LocalCache > 0 || f.e.h.LocalCache > 0 {
		// A hit costs none; a miss (the write's invalidation came
		// after the last read) one.
		f.wantCommands(t, 0, 1, "read-only GET /get with a live token and a local cache")
	} else {
		f.wantCommands(t, 1, 1, "read-only GET /get with a live token")
	}
	f.wantKeys(t, 1, "after one session")
}

// checkModifyLive: a read-modify-write costs at most one load and one
// save; a blind set costs one command.
func checkModifyLive(t *testing.T, s *suite) {
	f := s.setup(t, sessions.StoreOptions{})
	c := f.client(t)
	c.set("a", "1")
	c.wantValue("a", "1")

	f.proxy.reset()
	r := c.do(http.MethodPost, "/getset", url.Values{"k": {"a"}, "v": {"2"}})
	wantStatus(t, "POST /getset", r, http.StatusOK)
	if !r.bool("found") || r.str("v") != "1" {
		t.Errorf("POST /getset: old value %v, want 1", r.body)
	}
	wantNoToken(t, "POST /getset with a live token", r)
	f.wantCommands(t, 1, 2, "POST /getset (a load and a save)")

	f.proxy.reset()
	r = c.set("b", "3")
	wantNoToken(t, "POST /set with a live token", r)
	f.wantCommands(t, 1, 1, "blind POST /set with a live token")

	c.wantValue("a", "2")
	c.wantValue("b", "3")
}

// checkIncr: an increment costs one store command, on a fresh client (it
// creates the session) and on an existing session.
func checkIncr(t *testing.T, s *suite) {
	f := s.setup(t, sessions.StoreOptions{})
	c := f.client(t)
	f.proxy.reset()
	r := c.do(http.MethodPost, "/incr", url.Values{"k": {"n"}})
	wantStatus(t, "POST /incr without a token", r, http.StatusOK)
	if r.num("n") != 1 {
		t.Errorf("POST /incr without a token: n = %d, want 1", r.num("n"))
	}
	if !r.set {
		t.Error("POST /incr without a token: no token issued")
	}
	f.wantCommands(t, 1, 1, "POST /incr without a token")

	f.proxy.reset()
	r = c.do(http.MethodPost, "/incr", url.Values{"k": {"n"}, "d": {"5"}})
	wantStatus(t, "POST /incr with a live token", r, http.StatusOK)
	if r.num("n") != 6 {
		t.Errorf("POST /incr d=5 with a live token: n = %d, want 6", r.num("n"))
	}
	wantNoToken(t, "POST /incr with a live token", r)
	f.wantCommands(t, 1, 1, "POST /incr with a live token")
}

// checkIncrConcurrent: 50 concurrent increments of one key of one session
// each see a distinct result, and none is lost.
func checkIncrConcurrent(t *testing.T, s *suite) {
	const n = 50
	f := s.setup(t, sessions.StoreOptions{})
	c := f.client(t)
	c.set("a", "1")
	results := make([]int64, n)
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			r, err := c.try(http.MethodPost, "/incr", url.Values{"k": {"n"}})
			switch {
			case err != nil:
				errs[i] = err
			case r.status != http.StatusOK:
				errs[i] = fmt.Errorf("status %d, body %v", r.status, r.body)
			case r.set || r.cleared:
				errs[i] = fmt.Errorf("token set %v, cleared %v", r.set, r.cleared)
			default:
				results[i] = r.num("n")
			}
		})
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Fatalf("concurrent POST /incr %d: %v", i, err)
		}
	}
	slices.Sort(results)
	for i, got := range results {
		if got != int64(i+1) {
			t.Fatalf("concurrent increments returned %v, want each of 1..%d once", results, n)
		}
	}
	r := c.do(http.MethodPost, "/incr", url.Values{"k": {"n"}, "d": {"0"}})
	if r.num("n") != n {
		t.Errorf("after %d concurrent increments: n = %d", n, r.num("n"))
	}
}

// checkConcurrentKeys: concurrent requests that set different keys of one
// session, blind or after reading it, never lose each other's writes.
func checkConcurrentKeys(t *testing.T, s *suite) {
	const n = 20
	f := s.setup(t, sessions.StoreOptions{})
	c := f.client(t)
	c.set("a", "1")
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			k := fmt.Sprint("k", i)
			path := "/set" // a blind write
			if i%2 == 1 {
				path = "/getset" // a read, then a write
			}
			r, err := c.try(http.MethodPost, path, url.Values{"k": {k}, "v": {"v" + k}})
			switch {
			case err != nil:
				errs[i] = err
			case r.status != http.StatusOK:
				errs[i] = fmt.Errorf("status %d, body %v", r.status, r.body)
			case r.set || r.cleared:
				errs[i] = fmt.Errorf("token set %v, cleared %v", r.set, r.cleared)
			}
		})
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Fatalf("concurrent write of k%d: %v", i, err)
		}
	}
	r := c.do(http.MethodGet, "/keys", nil)
	keys := r.strs("keys")
	want := []string{"a"}
	for i := range n {
		want = append(want, fmt.Sprint("k", i))
	}
	slices.Sort(want)
	if !slices.Equal(keys, want) {
		t.Errorf("after %d concurrent sets: keys %v, want %v", n, keys, want)
	}
	for i := range n {
		k := fmt.Sprint("k", i)
		c.wantValue(k, "v"+k)
	}
}

// checkUpdateConcurrent: concurrent read-modify-writes of one key through
// Session.Update never undo each other: every append answered 200 is in
// the list (one that kept losing the race answers 409, and is not).
func checkUpdateConcurrent(t *testing.T, s *suite) {
	const n = 8
	f := s.setup(t, sessions.StoreOptions{})
	c := f.client(t)
	c.set("x", "1")
	var (
		wg sync.WaitGroup
		mu sync.Mutex
		ok []string
	)
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			v := fmt.Sprint(i)
			r, err := c.try(http.MethodPost, "/append", url.Values{"k": {"list"}, "v": {v}})
			if err != nil {
				t.Errorf("POST /append: %v", err)
				return
			}
			switch r.status {
			case http.StatusOK:
				mu.Lock()
				ok = append(ok, v)
				mu.Unlock()
			case http.StatusConflict:
			default:
				t.Errorf("POST /append: status %d, body %v", r.status, r.body)
			}
		}()
	}
	wg.Wait()
	list := readList(t, c, "list")
	for _, v := range ok {
		if !slices.Contains(list, v) {
			t.Errorf("append %s answered 200 but is not in the list %v: a concurrent Update undid it", v, list)
		}
	}
	if len(ok) == 0 {
		t.Error("no append succeeded")
	}
}

// readList reads the []string under k through /getlist.
func readList(t *testing.T, c *client, k string) []string {
	t.Helper()
	r := c.do(http.MethodGet, "/getlist", url.Values{"k": {k}})
	return r.strs("list")
}
