package sessionschi_test

import (
	"context"
	"crypto/rand"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/redis/go-redis/v9"

	sessions "github.com/gosessions/sessions/core"
)

var secret = []byte("0123456789abcdef0123456789abcdef")

// rigURL returns the rig's server (REDICT_URL). Without one the test is
// skipped, unless SESSIONS_REQUIRE_STORE is set, in which case it fails.
func rigURL(t testing.TB) string {
	t.Helper()
	url := os.Getenv("REDICT_URL")
	if url == "" {
		if os.Getenv("SESSIONS_REQUIRE_STORE") != "" {
			t.Fatal("REDICT_URL is not set; run scripts/test.sh")
		}
		t.Skip("REDICT_URL is not set; run scripts/test.sh")
	}
	return url
}

// rig is a cookie store on the rig's server with a key prefix of its own,
// its client, and a counter of the commands the client sends.
type rig struct {
	st     *sessions.Store
	client sessions.Client
	count  *countHook
}

func newRig(t testing.TB, url string, so sessions.StoreOptions) *rig {
	t.Helper()
	client, err := sessions.NewClient(url)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { client.Close() })
	hook := &countHook{}
	client.AddHook(hook)
	if so.KeyPrefix == "" {
		so.KeyPrefix = "sessionschi:" + rand.Text()[:12] + ":"
	}
	st, err := sessions.NewCookieStore(client, so, sessions.CookieOptions{
		Secrets: [][]byte{secret}, DisableSecure: true,
	})
	if err != nil {
		t.Fatal(err)
	}
	return &rig{st: st, client: client, count: hook}
}

// records returns the session records under the rig's prefix: the keys
// prefix+"{tag}" (beside them the store keeps short-lived journal keys).
func (g *rig) records(t testing.TB) []string {
	t.Helper()
	prefix := g.st.Options().KeyPrefix
	ks, err := g.client.Keys(t.Context(), prefix+"*").Result()
	if err != nil {
		t.Fatal(err)
	}
	var recs []string
	for _, k := range ks {
		if rest, ok := strings.CutPrefix(k, prefix+"{"); ok && strings.IndexByte(rest, '}') == len(rest)-1 {
			recs = append(recs, k)
		}
	}
	return recs
}

// countHook counts the commands a client sends (a pipeline counts each
// command; a script run counts as one, or two on a NOSCRIPT fallback).
type countHook struct{ n atomic.Int64 }

func (h *countHook) DialHook(next redis.DialHook) redis.DialHook { return next }

func (h *countHook) ProcessHook(next redis.ProcessHook) redis.ProcessHook {
	return func(ctx context.Context, cmd redis.Cmder) error {
		h.n.Add(1)
		return next(ctx, cmd)
	}
}

func (h *countHook) ProcessPipelineHook(next redis.ProcessPipelineHook) redis.ProcessPipelineHook {
	return func(ctx context.Context, cmds []redis.Cmder) error {
		h.n.Add(int64(len(cmds)))
		return next(ctx, cmds)
	}
}

var _ redis.Hook = (*countHook)(nil)

// do serves one request in-process, sending cookies, and returns the
// response.
func do(h http.Handler, method, target string, cookies ...*http.Cookie) *http.Response {
	req := httptest.NewRequest(method, target, nil)
	for _, c := range cookies {
		req.AddCookie(c)
	}
	w := httptest.NewRecorder()
	h.ServeHTTP(w, req)
	return w.Result()
}

// sessionCookie returns the session cookie resp sets, or nil.
func sessionCookie(resp *http.Response) *http.Cookie {
	for _, c := range resp.Cookies() {
		if c.Name == "session" {
			return c
		}
	}
	return nil
}

// body returns resp's body, trimmed.
func body(resp *http.Response) string {
	b, _ := io.ReadAll(resp.Body)
	return strings.TrimSpace(string(b))
}
