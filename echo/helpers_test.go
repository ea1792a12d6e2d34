package sessionsecho_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/json"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/labstack/echo/v4"

	sessions "github.com/gosessions/sessions/core"
	sessionsecho "github.com/gosessions/sessions/echo"
)

// testClient returns a client for the rig's server (REDICT_URL). Without
// one the test is skipped, unless SESSIONS_REQUIRE_STORE is set (as
// scripts/test.sh does), in which case it fails.
func testClient(t testing.TB) sessions.Client {
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

var testSecret = []byte("0123456789abcdef0123456789abcdef")

// rig is an echo app behind Middleware on a cookie store of its own key
// prefix, served in-process.
type rig struct {
	t      testing.TB
	client sessions.Client
	st     *sessions.Store
	e      *echo.Echo
	log    *logBuffer
}

// newRig returns a rig on the rig's server; outer middleware runs before
// (outside) the sessions, inner after.
func newRig(t testing.TB, so sessions.StoreOptions, outer, inner []echo.MiddlewareFunc) *rig {
	t.Helper()
	return newRigOn(t, testClient(t), so, sessionsecho.Options{}, outer, inner)
}

func newRigOn(t testing.TB, client sessions.Client, so sessions.StoreOptions, opts sessionsecho.Options, outer, inner []echo.MiddlewareFunc) *rig {
	t.Helper()
	r := &rig{t: t, client: client, log: &logBuffer{}}
	so.KeyPrefix = "sessionsecho:" + rand.Text()[:12] + ":"
	so.Logger = slog.New(slog.NewTextHandler(r.log, nil))
	st, err := sessions.NewCookieStore(client, so, sessions.CookieOptions{Secrets: [][]byte{testSecret}})
	if err != nil {
		t.Fatal(err)
	}
	r.st = st
	r.e = echo.New()
	r.e.Use(outer...)
	r.e.Use(sessionsecho.Middleware(st, opts))
	r.e.Use(inner...)
	testRoutes(r.e)
	return r
}

// downClient returns a client of a loopback port nobody listens on.
func downClient(t testing.TB) sessions.Client {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	c, err := sessions.NewClient("redis://" + addr + "/0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

// downRig is a rig whose store is unreachable.
func downRig(t testing.TB, opts sessionsecho.Options, outer, inner []echo.MiddlewareFunc) *rig {
	t.Helper()
	return newRigOn(t, downClient(t), sessions.StoreOptions{Timeout: 300 * time.Millisecond}, opts, outer, inner)
}

// do serves one request in-process with cookie (may be nil), to
// localhost unless path is a URL (Secure cookies over plain http to
// another host make the store warn).
func (r *rig) do(method, path string, cookie *http.Cookie, hdr ...string) *httptest.ResponseRecorder {
	if strings.HasPrefix(path, "/") {
		path = "http://localhost" + path
	}
	req := httptest.NewRequest(method, path, nil)
	if cookie != nil {
		req.AddCookie(cookie)
	}
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	w := httptest.NewRecorder()
	r.e.ServeHTTP(w, req)
	return w
}

// cookie returns the session cookie w sets, or nil.
func cookie(w *httptest.ResponseRecorder) *http.Cookie {
	for _, c := range w.Result().Cookies() {
		if c.Name == "session" {
			return c
		}
	}
	return nil
}

// keys returns the store keys under the rig's prefix.
func (r *rig) keys() []string {
	r.t.Helper()
	keys, err := r.client.Keys(context.Background(), r.st.Options().KeyPrefix+"*").Result()
	if err != nil {
		r.t.Fatal(err)
	}
	return keys
}

// seed makes a live session holding "user" and returns its cookie.
func (r *rig) seed() *http.Cookie {
	r.t.Helper()
	ck := cookie(r.do(http.MethodPost, "/seed", nil))
	if ck == nil {
		r.t.Fatal("seed: no cookie")
	}
	return ck
}

// value reads key k of the session ck names, through the app.
func (r *rig) value(ck *http.Cookie, k string) (v string, found bool) {
	r.t.Helper()
	w := r.do(http.MethodGet, "/value?k="+k, ck)
	var body struct {
		V     string
		Found bool
	}
	if err := json.Unmarshal(w.Body.Bytes(), &body); w.Code != http.StatusOK || err != nil {
		r.t.Fatalf("value: status %d, %v", w.Code, err)
	}
	return body.V, body.Found
}

// testRoutes are the routes every rig has: /seed and /value.
func testRoutes(e *echo.Echo) {
	e.POST("/seed", func(c echo.Context) error {
		if err := sessionsecho.FromContext(c).Set("user", "ada"); err != nil {
			return err
		}
		return c.NoContent(http.StatusNoContent)
	})
	e.GET("/value", func(c echo.Context) error {
		v, ok, err := sessions.Get[string](sessionsecho.FromContext(c), c.QueryParam("k"))
		if err != nil {
			return err
		}
		return c.JSON(http.StatusOK, map[string]any{"v": v, "found": ok})
	})
}

// logBuffer collects the store's log lines.
type logBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *logBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *logBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}
