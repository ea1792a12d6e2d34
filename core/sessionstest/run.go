package sessionstest

import (
	"crypto/rand"
	"net"
	"net/http"
	"os"
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

// env is what every check of one Run shares: the store's URL and
// topology, the harness, an HTTP client and the kit's secret.
type env struct {
	h         Harness
	raw       string   // REDICT_URL
	topology  string   // "" (one server), "cluster" or "sentinel"
	addr      string   // one server: its host:port; a Cluster: a node's
	sentinels []string // Sentinel: the Sentinels' host:port (dialled directly)
	secret    []byte   // seals the cookie kit's cookies
	hc        *http.Client
}

func newEnv(t *testing.T, h Harness) *env {
	t.Helper()
	raw := os.Getenv("REDICT_URL")
	if raw == "" {
		const msg = "sessionstest: REDICT_URL is not set (a redis://, redis+cluster:// or redis+sentinel:// URL " +
			"of a plain-TCP Redict/Redis/Valkey store, such as scripts/test.sh starts)"
		if os.Getenv("SESSIONS_REQUIRE_STORE") != "" {
			t.Fatal(msg + "; SESSIONS_REQUIRE_STORE is set, so this is a failure")
		}
		t.Skip(msg + "; skipping the conformance kit")
	}
	scheme, rest, _ := strings.Cut(raw, "://")
	hosts := rest
	if i := strings.IndexAny(rest, "/?#"); i >= 0 {
		hosts = rest[:i]
	}
	if i := strings.LastIndexByte(hosts, '@'); i >= 0 {
		hosts = hosts[i+1:]
	}
	e := &env{h: h, raw: raw}
	switch scheme {
	case "redis", "redict":
		e.addr = hosts
		if _, _, err := net.SplitHostPort(hosts); err != nil {
			e.addr = net.JoinHostPort(hosts, "6379")
		}
	case "redis+cluster":
		e.topology, e.addr = "cluster", strings.Split(hosts, ",")[0]
	case "redis+sentinel":
		e.topology, e.sentinels = "sentinel", strings.Split(hosts, ",")
	default:
		t.Fatalf("sessionstest: REDICT_URL scheme %q: the kit needs a plain-TCP store (redis://, redict://, redis+cluster:// or redis+sentinel://)", scheme)
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

// newPrefix returns a key prefix no other store uses.
func newPrefix() string { return "sessionstest:" + rand.Text()[:16] + ":" }

func randomBytes(n int) []byte {
	b := make([]byte, n)
	rand.Read(b)
	return b
}
