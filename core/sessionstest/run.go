package sessionstest

import (
	"crypto/rand"
	"net"
	"net/http"
	"net/url"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"
)

// Run holds the integration that h mounts to every behaviour the core
// promises: for each transport (the cookie and the JWT, and
// transport-specific checks in a group of their own), one subtest per
// behaviour. The subtests run in
// parallel, each with its own store, key prefix and proxy.
//
// The store server is the one at REDICT_URL (a redis:// or redict:// URL
// of a plain-TCP server). Without it Run skips, unless
// SESSIONS_REQUIRE_STORE is set, in which case it fails.
func Run(t *testing.T, h Harness) {
	t.Helper()
	if h.Serve == nil {
		t.Fatal("sessionstest: Harness.Serve is nil")
	}
	e := newEnv(t, h)
	for _, tk := range e.transports() {
		s := &suite{e: e, tk: tk}
		t.Run(tk.name, func(t *testing.T) {
			t.Parallel()
			s.run(t, commonChecks())
		})
		if len(tk.only) > 0 {
			t.Run(tk.name+"-only", func(t *testing.T) {
				t.Parallel()
				s.run(t, tk.only)
			})
		}
	}
}

// env is what every check of one Run shares: the server's address and
// credentials, the harness, an HTTP client and the kit's secret.
type env struct {
	h        Harness
	storeURL *url.URL // REDICT_URL, parsed
	addr     string   // the server's host:port
	username string
	password string
	db       int
	secret   []byte // seals the cookie kit's cookies
	hc       *http.Client
}

func newEnv(t *testing.T, h Harness) *env {
	t.Helper()
	raw := os.Getenv("REDICT_URL")
	if raw == "" {
		const msg = "sessionstest: REDICT_URL is not set (a redis:// URL of a plain-TCP " +
			"Redict/Redis/Valkey server, such as scripts/test.sh starts)"
		if os.Getenv("SESSIONS_REQUIRE_STORE") != "" {
			t.Fatal(msg + "; SESSIONS_REQUIRE_STORE is set, so this is a failure")
		}
		t.Skip(msg + "; skipping the conformance kit")
	}
	u, err := url.Parse(raw)
	if err != nil {
		// The URL may hold a password: do not echo it.
		t.Fatal("sessionstest: REDICT_URL does not parse as a URL")
	}
	if u.Scheme != "redis" && u.Scheme != "redict" {
		t.Fatalf("sessionstest: REDICT_URL scheme %q: the kit needs a plain-TCP server (redis:// or redict://)", u.Scheme)
	}
	e := &env{h: h, storeURL: u, addr: u.Host}
	if u.Port() == "" {
		e.addr = net.JoinHostPort(u.Hostname(), "6379")
	}
	if u.User != nil {
		e.username = u.User.Username()
		e.password, _ = u.User.Password()
		if e.password == "" {
			// redis://:pass@ and redis://pass@ both name a password.
			e.password, e.username = e.username, ""
		}
	}
	if db := strings.Trim(u.Path, "/"); db != "" {
		if e.db, err = strconv.Atoi(db); err != nil {
			t.Fatalf("sessionstest: REDICT_URL database %q is not a number", db)
		}
	}
	e.secret = randomBytes(32)
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.MaxIdleConnsPerHost = 100
	e.hc = &http.Client{Transport: tr, Timeout: 15 * time.Second}
	t.Cleanup(tr.CloseIdleConnections)
	e.warmUp(t)
	return e
}

// transports returns the transports every check runs with.
func (e *env) transports() []*transportKit {
	return []*transportKit{cookieKit(e), jwtKit(e)}
}

// viaProxy returns the store URL with its address replaced by addr.
func (e *env) viaProxy(addr string) string {
	u := *e.storeURL
	u.Host = addr
	return u.String()
}

// newPrefix returns a key prefix no other store uses.
func newPrefix() string { return "sessionstest:" + rand.Text()[:16] + ":" }

func randomBytes(n int) []byte {
	b := make([]byte, n)
	rand.Read(b)
	return b
}
