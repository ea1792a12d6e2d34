package contract_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/alicebob/miniredis/v2"
)

// TestEmbeddedStore runs every program as "go run" does out of the box: no
// REDICT_URL and no key, in either transport. It needs no external server.
func TestEmbeddedStore(t *testing.T) {
	t.Parallel()
	tests := []struct {
		tr        transport
		warn, not string // in the log, not in the log
	}{
		{transport{name: "cookie"}, "SESSION_SECRET is empty", "SESSION_JWT_KEY"},
		{transport{name: "jwt", env: []string{"SESSION_TRANSPORT=jwt"}}, "SESSION_JWT_KEY is empty", "SESSION_SECRET"},
	}
	eachProgram(t, func(t *testing.T, prog string) {
		for _, tt := range tests {
			t.Run(tt.tr.name, func(t *testing.T) {
				t.Parallel()
				a := startApp(t, prog, tt.tr)

				r := a.do(t, "GET", "/api/count", "", nil)
				wantJSON(t, r, http.StatusOK, `{"count":1}`)
				r = a.do(t, "GET", "/api/count", a.mustToken(t, r), nil)
				wantJSON(t, r, http.StatusOK, `{"count":2}`)

				logs := a.logs()
				if n := strings.Count(logs, "embedded in-memory store"); n != 1 {
					t.Errorf("%d log lines about the embedded store, want 1:\n%s", n, logs)
				}
				// The one line that says where to open the page.
				for _, want := range []string{tt.warn, `msg="open ` + a.base + ` in a browser"`} {
					if !strings.Contains(logs, want) {
						t.Errorf("log lacks %q:\n%s", want, logs)
					}
				}
				if strings.Contains(logs, tt.not) {
					t.Errorf("log mentions %s, which %s mode does not use:\n%s", tt.not, tt.tr.name, logs)
				}

				// The whole contract holds on the embedded store too.
				walkContract(t, a)
			})
		}
	})
}

// TestStoreDown checks, for every program in both transports, that a
// store failure answers 503, so that a live session never reads as empty,
// and that the program recovers with the store. The store is a miniredis
// server of the test's own, stopped and restarted (with its data) under
// the running program.
func TestStoreDown(t *testing.T) {
	t.Parallel()
	eachProgram(t, func(t *testing.T, prog string) {
		eachTransport(t, func(t *testing.T, tr transport) {
			testStoreDown(t, prog, tr)
		})
	})
}

func testStoreDown(t *testing.T, prog string, tr transport) {
	m := miniredis.RunT(t)
	a := startApp(t, prog, tr, "REDICT_URL=redis://"+m.Addr()+"/0")

	r := a.do(t, "GET", "/api/count", "", nil)
	wantJSON(t, r, http.StatusOK, `{"count":1}`)
	sess := a.mustToken(t, r)
	r = a.do(t, "POST", "/api/login", sess, url.Values{"user": {"alice"}})
	wantJSON(t, r, http.StatusOK, `{"user":"alice"}`)
	sess = a.mustToken(t, r)

	m.Close()
	sessionReqs := []struct{ method, path string }{
		{"GET", "/api/read"}, {"GET", "/api/me"}, {"GET", "/api/count"}, {"GET", "/api/sessions"},
		{"POST", "/api/sessions/revoke?handle=x"}, {"POST", "/api/logout-all"},
	}
	for _, req := range sessionReqs {
		r := a.doStoreDown(t, req.method, req.path, sess)
		if r.status != http.StatusServiceUnavailable || !strings.Contains(string(r.body), `"session store unavailable"`) {
			t.Errorf("%s %s with the store down: %d %s, want 503 {\"error\":\"session store unavailable\"}", req.method, req.path, r.status, r.body)
		}
		a.wantNoToken(t, r)
	}
	if !tr.jwt() {
		// The page shows session data: a browser loading it gets 503 and
		// the page, saying that the store is down (and retrying by
		// itself), with no session data.
		r := a.doStoreDown(t, "GET", "/", sess)
		body := string(r.body)
		switch {
		case r.status != http.StatusServiceUnavailable || !strings.HasPrefix(r.header.Get("Content-Type"), "text/html"):
			t.Errorf("GET / with the store down: %d %s, want 503 and the page", r.status, r.header.Get("Content-Type"))
		case !strings.Contains(body, `<p id="status" role="alert">The session store is unavailable`):
			t.Errorf("GET / with the store down: the status line does not say the store is unavailable:\n%s", body)
		case strings.Contains(body, "alice") || !strings.Contains(body, `<output id="count">–</output>`):
			t.Errorf("GET / with the store down shows session data:\n%s", body)
		case !strings.Contains(r.header.Get("Cache-Control"), "no-store"):
			t.Errorf("GET / with the store down: Cache-Control %q, want no-store", r.header.Get("Cache-Control"))
		}
		a.wantNoToken(t, r)
	}
	// Requests that need no store still work: in jwt mode the page too,
	// which is static.
	noStorePaths := []string{"/health"}
	if tr.jwt() {
		noStorePaths = append(noStorePaths, "/")
	}
	for _, path := range noStorePaths {
		r := a.doStoreDown(t, "GET", path, sess)
		wantStatus(t, r, http.StatusOK)
		a.wantNoToken(t, r)
	}
	wantJSON(t, a.doStoreDown(t, "GET", "/api/read", ""), http.StatusOK, `{"count":0}`)

	if err := m.Restart(); err != nil {
		t.Fatal(err)
	}
	wantJSON(t, a.do(t, "GET", "/api/me", sess, nil), http.StatusOK, `{"user":"alice"}`)
	wantJSON(t, a.do(t, "GET", "/api/read", sess, nil), http.StatusOK, `{"count":1}`)
	r = a.do(t, "GET", "/api/sessions", sess, nil)
	wantStatus(t, r, http.StatusOK)
	if n := strings.Count(string(r.body), `"handle"`); n != 1 {
		t.Errorf("GET /api/sessions after the restart: %d sessions, want 1: %s", n, r.body)
	}
}
