package sessionsgin_test

import (
	"crypto/rand"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/alicebob/miniredis/v2"
	"github.com/gin-gonic/gin"

	sessions "github.com/gosessions/sessions/core"
	sessionsgin "github.com/gosessions/sessions/gin"
)

func init() { gin.SetMode(gin.TestMode) }

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

// newStore returns a cookie store on the server at url with a key prefix
// of its own, and the client it uses.
func newStore(t testing.TB, url string, so sessions.StoreOptions) (*sessions.Store, sessions.Client) {
	t.Helper()
	client, err := sessions.NewClient(url)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { client.Close() })
	if so.KeyPrefix == "" {
		so.KeyPrefix = "sessionsgin:" + rand.Text()[:12] + ":"
	}
	st, err := sessions.NewCookieStore(client, so, sessions.CookieOptions{
		Secrets: [][]byte{secret}, DisableSecure: true,
	})
	if err != nil {
		t.Fatal(err)
	}
	return st, client
}

// rigStore is newStore on the rig's server.
func rigStore(t testing.TB) (*sessions.Store, sessions.Client) {
	return newStore(t, rigURL(t), sessions.StoreOptions{})
}

// records returns the session records under st's prefix: the keys
// prefix+"{tag}" (beside them the store keeps short-lived journal keys).
func records(t testing.TB, st *sessions.Store, client sessions.Client) []string {
	t.Helper()
	prefix := st.Options().KeyPrefix
	ks, err := client.Keys(t.Context(), prefix+"*").Result()
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

// deadStore returns a store whose server (a miniredis) is gone, and the
// cookie of a session it held.
func deadStore(t testing.TB) (*sessions.Store, *http.Cookie) {
	m := miniredis.RunT(t)
	st, _ := newStore(t, "redis://"+m.Addr()+"/0", sessions.StoreOptions{Timeout: 200 * time.Millisecond})
	r := newEngine(st, sessionsgin.Options{})
	r.GET("/", func(c *gin.Context) { sessionsgin.FromContext(c).Set("k", "v") })
	cookie := sessionCookie(do(r, http.MethodGet, "/"))
	if cookie == nil {
		t.Fatal("deadStore: no session cookie")
	}
	m.Close()
	return st, cookie
}

// newEngine returns a gin engine with gin.Recovery (quiet) and the
// session middleware.
func newEngine(st *sessions.Store, opts sessionsgin.Options) *gin.Engine {
	r := gin.New()
	r.Use(gin.RecoveryWithWriter(io.Discard), sessionsgin.Middleware(st, opts))
	return r
}

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
