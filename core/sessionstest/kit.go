package sessionstest

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"
	"time"

	sessions "github.com/gosessions/sessions/core"
)

// transportKit is what the checks need to know about one transport: how
// to make a store that uses it, and how a client sends and receives its
// token. The checks are written against it, so that a new transport is one
// more transportKit.
type transportKit struct {
	name string

	// newStore returns a store on the server at storeURL, whose clients
	// carry their token over this transport.
	newStore func(t testing.TB, storeURL string, so sessions.StoreOptions) *sessions.Store

	// attach puts token on the request as a client of this transport
	// sends it, verbatim (even when empty or malformed).
	attach func(req *http.Request, token string)

	// read reports the token the response gives the client (set), or
	// whether it tells the client to drop its token (cleared).
	read func(resp *http.Response) (token string, set, cleared bool)

	// foreign returns tokens that authenticate with a sibling store of f
	// (same server and key prefix, naming a live session that holds
	// key "x") but must not be accepted by f's store: sealed with another
	// key, for another name, and so on.
	foreign func(t testing.TB, f *fixture) []namedToken

	// derived returns values read out of a token that must never be
	// stored either (the JWT's sid, which the token shows in clear); nil
	// when there are none.
	derived func(token string) []string

	// only lists the checks that apply to this transport alone.
	only []check
}

// namedToken is a token with a name for its subtest.
type namedToken struct {
	name, token string
}

// check is one behaviour, run as one parallel subtest.
type check struct {
	name string
	run  func(t *testing.T, s *suite)
}

// suite runs checks for one transport.
type suite struct {
	e  *env
	tk *transportKit
}

func (s *suite) run(t *testing.T, checks []check) {
	for _, c := range checks {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			c.run(t, s)
		})
	}
}

// fixture is one store under test: its own key prefix and proxy, served
// by the harness with the kit's routes.
type fixture struct {
	e     *env
	tk    *transportKit
	so    sessions.StoreOptions // as given to the store, KeyPrefix set
	proxy *proxy
	store *sessions.Store
	base  string // the harness's base URL
	raw   *rawStore
}

// setup makes a fixture for t with the suite's transport.
func (s *suite) setup(t testing.TB, so sessions.StoreOptions) *fixture {
	t.Helper()
	return s.e.setup(t, s.tk, so)
}

// setup makes a fixture for t: a proxy, a store through it with a fresh key
// prefix, and the harness serving the routes for that store. The keys
// under the prefix are deleted when t ends.
func (e *env) setup(t testing.TB, tk *transportKit, so sessions.StoreOptions) *fixture {
	t.Helper()
	if so.KeyPrefix == "" {
		so.KeyPrefix = newPrefix()
	}
	f := &fixture{e: e, tk: tk, so: so, raw: dialRESP(t, e)}
	t.Cleanup(func() { f.raw.deletePrefix(t, so.KeyPrefix) })
	f.proxy = startProxy(t, e)
	f.store = tk.newStore(t, f.storeURL(), so)
	f.base = f.serve(t, f.store)
	return f
}

// storeURL is the URL of the store through f's proxy.
func (f *fixture) storeURL() string { return f.proxy.url("") }

// serve mounts the kit's routes for st with the harness.
func (f *fixture) serve(t testing.TB, st *sessions.Store) string {
	t.Helper()
	base := f.e.h.Serve(t, st, kitRoutes(st))
	if !strings.HasPrefix(base, "http://127.0.0.1:") && !strings.HasPrefix(base, "http://[::1]:") {
		t.Fatalf("sessionstest: Harness.Serve returned %q, want an http://127.0.0.1:PORT URL", base)
	}
	return strings.TrimSuffix(base, "/")
}

// client returns a client of f's server without a token.
func (f *fixture) client(t testing.TB) *client { return f.clientAt(t, f.base) }

// clientAt returns a client of the server at base (one of f's stores).
func (f *fixture) clientAt(t testing.TB, base string) *client {
	return &client{t: t, tk: f.tk, hc: f.e.hc, base: base}
}

// clientWith returns a client of f's server that sends token.
func (f *fixture) clientWith(t testing.TB, token string) *client {
	c := f.client(t)
	c.setToken(token)
	return c
}

// keys returns the keys under f's prefix but the per-user indexes
// (prefix + "u:{...}"): a session is one key for its whole life, and
// nothing else (no journal key, no key taken by a Renew), so these are
// the session records.
func (f *fixture) keys(t testing.TB) []string {
	t.Helper()
	var out []string
	for _, k := range f.raw.keys(t, f.so.KeyPrefix) {
		if !strings.HasPrefix(k, f.so.KeyPrefix+"u:{") {
			out = append(out, k)
		}
	}
	return out
}

// recordKey reports whether key, under prefix, names a session record.
func recordKey(prefix, key string) bool {
	rest, ok := strings.CutPrefix(key, prefix+"{")
	return ok && strings.IndexByte(rest, '}') == len(rest)-1
}

// onlyKey returns the one store key under f's prefix, failing t when
// there is not exactly one.
func (f *fixture) onlyKey(t testing.TB) string {
	t.Helper()
	keys := f.keys(t)
	if len(keys) != 1 {
		t.Fatalf("store holds %d keys under the test prefix, want 1", len(keys))
	}
	return keys[0]
}

// wantKeys fails t unless the store holds n keys under f's prefix.
func (f *fixture) wantKeys(t testing.TB, n int, when string) {
	t.Helper()
	if got := len(f.keys(t)); got != n {
		t.Errorf("%s: store holds %d keys under the test prefix, want %d", when, got, n)
	}
}

// wantCommands fails t unless the session commands since the last reset
// number between lo and hi.
func (f *fixture) wantCommands(t testing.TB, lo, hi int, what string) {
	t.Helper()
	cmds := f.proxy.commands()
	if f.store.Options().LocalCache > 0 {
		// A cached store's load sends PTTL with its HGETALL, in one
		// round trip (the entry's expiry): it counts as the one load.
		cmds = slices.DeleteFunc(slices.Clone(cmds), func(c string) bool { return c == "PTTL" })
	}
	if len(cmds) < lo || len(cmds) > hi {
		want := fmt.Sprintf("between %d and %d", lo, hi)
		if lo == hi {
			want = fmt.Sprint(lo)
		}
		t.Errorf("%s: %d store commands %v, want %s", what, len(cmds), cmds, want)
	}
}

// waitCacheDown waits, when f's store has a local cache, until the cache
// has stopped serving after the store went away: the cache's documented
// bound is StoreOptions.LocalCacheLag (three times that, for a slow
// machine, fails the check).
func (f *fixture) waitCacheDown(t testing.TB) {
	t.Helper()
	lag := f.store.Options().LocalCacheLag
	if f.store.Options().LocalCache == 0 {
		return
	}
	start := time.Now()
	for f.store.CacheStats().Live {
		if time.Since(start) > 3*lag {
			t.Fatalf("the local cache still serves %v after the store went away (LocalCacheLag %v)", time.Since(start), lag)
		}
		time.Sleep(time.Millisecond)
	}
}

// mint saves a session holding values in st directly, without the
// harness, and returns the response that carries its token.
func mint(t testing.TB, st *sessions.Store, values map[string]string) *http.Response {
	t.Helper()
	w := httptest.NewRecorder()
	r := httptest.NewRequest(http.MethodPost, "/", nil)
	c := sessions.HTTPCarrier(w, r)
	s := st.Load(context.Background(), c)
	for _, k := range slices.Sorted(maps.Keys(values)) {
		if err := s.Set(k, values[k]); err != nil {
			t.Fatalf("sessionstest: mint: Set: %v", err)
		}
	}
	if err := st.Save(context.Background(), c, s); err != nil {
		t.Fatalf("sessionstest: mint: Save: %v", err)
	}
	return w.Result()
}

// warmUp runs every store script once on the server (a write, a read, an
// Incr, a Renew with a binding, a listing, a logout everywhere), so that
// the command counts of the checks do not depend on whether the server has
// them cached yet (a first run costs EVALSHA and EVAL).
func (e *env) warmUp(t *testing.T) {
	t.Helper()
	tk := cookieKit(e)
	prefix := newPrefix()
	raw := dialRESP(t, e)
	defer raw.deletePrefix(t, prefix)
	st := tk.newStore(t, e.raw, sessions.StoreOptions{KeyPrefix: prefix})
	resp := mint(t, st, map[string]string{"x": "1"})
	ctx := context.Background()
	w := httptest.NewRecorder()
	r := httptest.NewRequest(http.MethodGet, "/", nil)
	for _, ck := range resp.Cookies() {
		r.AddCookie(ck)
	}
	c := sessions.HTTPCarrier(w, r)
	s := st.Load(ctx, c)
	if _, _, err := sessions.Get[string](s, "x"); err != nil {
		t.Fatalf("sessionstest: warm-up read: %v", err)
	}
	_, err1 := s.Incr("n", 1)
	err2 := s.Renew()
	err3 := s.BindUser("warm-up", "")
	err4 := st.Save(ctx, c, s)
	_, err5 := st.ListSessions(ctx, "warm-up", s)
	_, err6 := st.DestroyUserSessions(ctx, "warm-up", nil)
	if err := errors.Join(err1, err2, err3, err4, err5, err6); err != nil {
		t.Fatalf("sessionstest: warm-up: %v", err)
	}
}
