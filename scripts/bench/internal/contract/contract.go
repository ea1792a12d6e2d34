// Package contract checks a peer server against the part of the demo
// contract the benchmark uses: /health, /api/count and /api/read.
package contract

import (
	"context"
	"encoding/json"
	"net/http"
	"os"
	"testing"

	"github.com/gosessions/sessions/scripts/bench/internal/peerapp"
	"github.com/gosessions/sessions/scripts/bench/load"
)

// Config returns the peers' configuration for REDICT_URL, the test
// server the test script started. Without it the test is skipped, or
// fails when SESSIONS_REQUIRE_STORE=1.
func Config(t *testing.T) peerapp.Config {
	t.Helper()
	if os.Getenv("REDICT_URL") == "" {
		if os.Getenv("SESSIONS_REQUIRE_STORE") == "1" {
			t.Fatal("REDICT_URL is not set and SESSIONS_REQUIRE_STORE=1")
		}
		t.Skip("REDICT_URL is not set (scripts/test.sh starts a redis-server)")
	}
	cfg, err := peerapp.FromEnv()
	if err != nil {
		t.Fatal(err)
	}
	return cfg
}

// Check runs the contract's steps against the server at base
// (http://127.0.0.1:PORT).
func Check(t *testing.T, base string) {
	t.Helper()
	ctx := context.Background()
	get := func(u *load.User, path string) load.Response {
		t.Helper()
		r, err := u.Get(ctx, base+path)
		if err != nil {
			t.Fatalf("GET %s: %v", path, err)
		}
		return r
	}
	count := func(r load.Response) int64 {
		t.Helper()
		var v struct {
			Count *int64 `json:"count"`
		}
		if err := json.Unmarshal(r.Body, &v); err != nil || v.Count == nil {
			t.Fatalf("body %q is not {\"count\":N}", r.Body)
		}
		return *v.Count
	}
	users := load.NewUsers(2)
	a, b := users[0], users[1]
	defer load.CloseIdle(users)

	if r := get(a, "/health"); r.Status != http.StatusOK || len(r.Header.Values("Set-Cookie")) > 0 {
		t.Errorf("/health: %d, Set-Cookie %q", r.Status, r.Header.Values("Set-Cookie"))
	}
	r := get(a, "/api/read")
	if r.Status != http.StatusOK || count(r) != 0 {
		t.Errorf("/api/read without a session: %d %s", r.Status, r.Body)
	}
	if sc := r.Header.Values("Set-Cookie"); len(sc) > 0 {
		t.Errorf("/api/read without a session set a cookie: %q", sc)
	}
	for want := int64(1); want <= 3; want++ {
		if r := get(a, "/api/count"); r.Status != http.StatusOK || count(r) != want {
			t.Fatalf("/api/count #%d: %d %s", want, r.Status, r.Body)
		}
	}
	if r := get(a, "/api/read"); r.Status != http.StatusOK || count(r) != 3 {
		t.Errorf("/api/read after 3 counts: %d %s", r.Status, r.Body)
	}
	if len(a.Cookies(base)) == 0 {
		t.Error("no session cookie kept")
	}
	// Another user has a session of its own.
	if r := get(b, "/api/count"); r.Status != http.StatusOK || count(r) != 1 {
		t.Errorf("a second user's first /api/count: %d %s", r.Status, r.Body)
	}
	// A garbage cookie gets a fresh session, never a 5xx.
	for _, c := range a.Cookies(base) {
		req, _ := http.NewRequestWithContext(ctx, http.MethodGet, base+"/api/count", nil)
		req.AddCookie(&http.Cookie{Name: c.Name, Value: "garbage" + c.Value[:len(c.Value)/2]}) //nolint:gosec // G124: a request's cookie, forged on purpose; only its name and value are sent
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		_ = resp.Body.Close() // unread: the status is the check
		if resp.StatusCode != http.StatusOK {
			t.Errorf("/api/count with a garbage %s cookie: %d", c.Name, resp.StatusCode)
		}
	}
}
