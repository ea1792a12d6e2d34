package sessions_test

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"testing"

	"github.com/redis/go-redis/v9"

	sessions "github.com/gosessions/sessions/core"
)

// testClient returns a client for the rig's server (REDICT_URL). Without
// one the test is skipped, unless SESSIONS_REQUIRE_STORE is set (as
// scripts/test.sh does), in which case it fails.
func testClient(t testing.TB) redis.UniversalClient {
	t.Helper()
	url := os.Getenv("REDICT_URL")
	if url == "" {
		if os.Getenv("SESSIONS_REQUIRE_STORE") != "" {
			t.Fatal("REDICT_URL is not set; run scripts/test.sh")
		}
		t.Skip("REDICT_URL is not set; run scripts/test.sh")
	}
	c, err := sessions.NewClient(url)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

// testPrefix returns a key prefix no other test uses.
func testPrefix(t testing.TB) string {
	return "test:" + rand.Text()[:12] + ":"
}

func testSecret() []byte { return []byte("0123456789abcdef0123456789abcdef") }

// newCookieStore returns a cookie store on the rig's server with its own
// key prefix.
func newCookieStore(t testing.TB, so sessions.StoreOptions, co sessions.CookieOptions) (*sessions.Store, redis.UniversalClient) {
	t.Helper()
	client := testClient(t)
	if so.KeyPrefix == "" {
		so.KeyPrefix = testPrefix(t)
	}
	if co.Secrets == nil {
		co.Secrets = [][]byte{testSecret()}
	}
	st, err := sessions.NewCookieStore(client, so, co)
	if err != nil {
		t.Fatal(err)
	}
	return st, client
}

// exchange runs one request through Load/fn/Save with the given cookies and
// returns the recorded response.
func exchange(t testing.TB, st *sessions.Store, cookies []*http.Cookie, fn func(s *sessions.Session)) *httptest.ResponseRecorder {
	t.Helper()
	r := httptest.NewRequest(http.MethodGet, "/", nil)
	for _, c := range cookies {
		r.AddCookie(c)
	}
	w := httptest.NewRecorder()
	c := sessions.HTTPCarrier(w, r)
	s := st.Load(context.Background(), c)
	fn(s)
	if err := st.Save(context.Background(), c, s); err != nil {
		t.Fatalf("Save: %v", err)
	}
	return w
}

func newEd25519(t testing.TB) ed25519.PrivateKey {
	_, k, err := ed25519.GenerateKey(nil)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

// onlyKey returns the one session record under the store's prefix.
func onlyKey(t testing.TB, st *sessions.Store, client redis.UniversalClient) string {
	t.Helper()
	keys := recordKeys(t, st, client)
	if len(keys) != 1 {
		t.Fatalf("records under the prefix: %d; want 1", len(keys))
	}
	return keys[0]
}

// recordKeys returns the session records under the store's prefix (the
// keys prefix+"{tag}"; a per-user index is not one).
func recordKeys(t testing.TB, st *sessions.Store, client redis.UniversalClient) []string {
	t.Helper()
	prefix := st.Options().KeyPrefix
	keys, err := client.Keys(context.Background(), prefix+"*").Result()
	if err != nil {
		t.Fatalf("KEYS: %v", err)
	}
	var out []string
	for _, k := range keys {
		if rest, ok := strings.CutPrefix(k, prefix+"{"); ok && strings.IndexByte(rest, '}') == len(rest)-1 {
			out = append(out, k)
		}
	}
	return out
}
