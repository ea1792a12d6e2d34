package sessionstest

import (
	"net/http"
	"net/url"
	"testing"
	"time"

	sessions "github.com/gosessions/sessions/core"
)

// failTimeout is StoreOptions.Timeout for the store-failure checks.
const failTimeout = 300 * time.Millisecond

// failBound is how long a request may take to fail when the store is down.
const failBound = 5 * time.Second

// wantUnavailable fails t unless the request answers 503 (with a JSON
// body, which client.do checks) within failBound, without touching the
// client's token. The kit's routes ignore store errors and would answer
// 200: the 503 must come from the integration.
func wantUnavailable(t testing.TB, c *client, method, path string, form url.Values) {
	t.Helper()
	start := time.Now()
	r := c.do(method, path, form)
	took := time.Since(start)
	what := method + " " + path + " with the store down"
	if r.status != http.StatusServiceUnavailable {
		t.Errorf("%s: status %d, want 503; body %v", what, r.status, r.body)
	}
	if took > failBound {
		t.Errorf("%s: took %v, want under %v", what, took.Round(time.Millisecond), failBound)
	}
	if r.set || r.cleared {
		t.Errorf("%s: token set %v, cleared %v; a store failure must leave the token alone", what, r.set, r.cleared)
	}
}

// storeFailure runs the store-failure scenario with down taking the
// store away: reads and increments answer 503, and once the store is back
// the session and its data are intact.
func storeFailure(t *testing.T, s *suite, down func(*proxy)) {
	f := s.setup(t, sessions.StoreOptions{Timeout: failTimeout})
	c := f.client(t)
	c.set("a", "1")
	c.wantValue("a", "1")
	token := c.current()

	down(f.proxy)
	f.waitCacheDown(t)
	wantUnavailable(t, c, http.MethodGet, "/get", url.Values{"k": {"a"}})
	wantUnavailable(t, c, http.MethodPost, "/incr", url.Values{"k": {"n"}})
	wantUnavailable(t, c, http.MethodPost, "/set", url.Values{"k": {"b"}, "v": {"2"}})
	f.proxy.restore()

	if c.current() != token {
		t.Fatal("the client's token changed during the outage")
	}
	c.wantValue("a", "1")
	c.wantAbsent("b")
	r := c.do(http.MethodPost, "/incr", url.Values{"k": {"n"}})
	if r.status != http.StatusOK || r.num("n") != 1 {
		t.Errorf("POST /incr after the outage: status %d, body %v; want n=1", r.status, r.body)
	}
	f.wantKeys(t, 1, "after the outage")
}

// checkStoreCut: with the connection to the store cut, requests that use
// the session answer 503; after it is back, all is as before.
func checkStoreCut(t *testing.T, s *suite) {
	storeFailure(t, s, (*proxy).cut)
}

// checkStoreStall: with the store not answering, requests that use the
// session answer 503 within the store timeout's reach; after it answers
// again, all is as before.
func checkStoreStall(t *testing.T, s *suite) {
	storeFailure(t, s, (*proxy).stall)
}
