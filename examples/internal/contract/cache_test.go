package contract_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"
)

// cachedStore returns the rig's store URL for programs with a local cache
// (SESSION_LOCAL_CACHE), skipping on a Cluster, which the cache refuses.
func cachedStore(t *testing.T) string {
	store := rigStore(t)
	if strings.Contains(strings.SplitN(store, "://", 2)[0], "cluster") {
		t.Skip("SESSION_LOCAL_CACHE is for a single node or Sentinel, not a Cluster")
	}
	return store
}

// TestContractCached walks the whole contract on programs with a local
// cache: it changes no behaviour.
func TestContractCached(t *testing.T) {
	t.Parallel()
	store := cachedStore(t)
	eachTransport(t, func(t *testing.T, tr transport) {
		walkContract(t, startApp(t, "nethttp", tr, "REDICT_URL="+store, "SESSION_LOCAL_CACHE=1000"))
	})
}

// TestLocalCacheTwoInstances runs two instances of each program, both
// with a local cache, on one store: a change, a login (renew), a logout
// and a log-out-everywhere on one instance are seen by the other as soon
// as the store's invalidation reaches it.
func TestLocalCacheTwoInstances(t *testing.T) {
	t.Parallel()
	store := cachedStore(t)
	eachProgram(t, func(t *testing.T, prog string) {
		eachTransport(t, func(t *testing.T, tr transport) {
			a := startApp(t, prog, tr, "REDICT_URL="+store, "SESSION_LOCAL_CACHE=1000")
			b := startApp(t, prog, tr, "REDICT_URL="+store, "SESSION_LOCAL_CACHE=1000")
			// seen polls b until path with sess answers want.
			seen := func(what, path, sess string, status int, want string) {
				t.Helper()
				start := time.Now()
				for {
					r := b.do(t, "GET", path, sess, nil)
					if r.status == status && (want == "" || strings.TrimSpace(string(r.body)) == want) {
						t.Logf("%s: seen by the other instance after %v", what, time.Since(start).Round(time.Microsecond))
						return
					}
					if time.Since(start) > 5*time.Second {
						t.Fatalf("%s: the other instance still answers %d %s, want %d %s", what, r.status, r.body, status, want)
					}
					time.Sleep(2 * time.Millisecond)
				}
			}

			r := a.do(t, "GET", "/api/count", "", nil)
			wantJSON(t, r, http.StatusOK, `{"count":1}`)
			sess := a.mustToken(t, r)
			for range 2 { // a miss, then (once the count's invalidation is in) hits
				wantJSON(t, b.do(t, "GET", "/api/read", sess, nil), http.StatusOK, `{"count":1}`)
			}
			wantJSON(t, a.do(t, "GET", "/api/count", sess, nil), http.StatusOK, `{"count":2}`)
			seen("a change", "/api/read", sess, http.StatusOK, `{"count":2}`)

			r = a.do(t, "POST", "/api/login", sess, url.Values{"user": {"ann"}})
			wantJSON(t, r, http.StatusOK, `{"user":"ann"}`)
			renewed := a.mustToken(t, r)
			seen("a login's renew", "/api/read", sess, http.StatusOK, `{"count":0}`)
			wantJSON(t, b.do(t, "GET", "/api/me", renewed, nil), http.StatusOK, `{"user":"ann"}`)
			wantJSON(t, b.do(t, "GET", "/api/me", renewed, nil), http.StatusOK, `{"user":"ann"}`)

			if r := a.do(t, "POST", "/api/logout", renewed, nil); r.status != http.StatusOK && r.status != http.StatusNoContent {
				t.Fatalf("POST /api/logout: %d %s", r.status, r.body)
			}
			seen("a logout", "/api/read", renewed, http.StatusOK, `{"count":0}`)

			r = b.do(t, "POST", "/api/login", "", url.Values{"user": {"ann-" + prog + "-" + tr.name}})
			other := b.mustToken(t, r)
			wantStatus(t, b.do(t, "GET", "/api/me", other, nil), http.StatusOK)
			r = a.do(t, "POST", "/api/logout-all", other, nil)
			wantJSON(t, r, http.StatusOK, `{"destroyed":1}`)
			seen("a log-out-everywhere", "/api/me", other, http.StatusUnauthorized, "")
		})
	})
}
