package allocs

import (
	"context"
	"net/http"
	"net/url"
	"os"
	"strings"
	"testing"

	"github.com/redis/go-redis/v9"

	sessions "github.com/gosessions/sessions/core"
	"github.com/gosessions/sessions/scripts/bench/internal/floor"
	"github.com/gosessions/sessions/scripts/bench/internal/peerapp"
	"github.com/gosessions/sessions/scripts/bench/internal/scspeer"
)

// server is one handler under measurement.
type server struct {
	name string
	h    http.Handler
}

// servers builds the handlers on REDICT_URL; closing is left to the
// process's end.
func servers(tb testing.TB) []server {
	tb.Helper()
	raw := os.Getenv("REDICT_URL")
	if raw == "" {
		if os.Getenv("SESSIONS_REQUIRE_STORE") == "1" {
			tb.Fatal("REDICT_URL is not set and SESSIONS_REQUIRE_STORE=1")
		}
		tb.Skip("REDICT_URL is not set (scripts/bench.sh peers starts a redis-server)")
	}
	opts, err := redis.ParseURL(raw)
	if err != nil {
		tb.Fatal(err)
	}
	rdb := redis.NewClient(opts)
	if err := rdb.Ping(context.Background()).Err(); err != nil {
		tb.Fatal(err)
	}
	client, err := sessions.NewClient(raw)
	if err != nil {
		tb.Fatal(err)
	}
	store, err := sessions.NewCookieStore(client,
		sessions.StoreOptions{IdleTimeout: peerapp.IdleTimeout, AbsoluteTimeout: peerapp.AbsoluteTimeout},
		sessions.CookieOptions{Secrets: [][]byte{peerapp.Secret}, DisableSecure: true})
	if err != nil {
		tb.Fatal(err)
	}
	return []server{
		{"harness", harness()},
		{"floor", floor.NewHandler(rdb)},
		{"scs", scspeer.NewHandler(rdb)},
		{"ours", sessions.Middleware(store, sessions.MiddlewareOptions{})(ours())},
	}
}

// harness answers without a session: the allocations of the benchmark's
// own request and writer, to subtract from the others.
func harness() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Cookie") == "" {
			http.SetCookie(w, &http.Cookie{Name: "h", Value: "1"})
		}
		peerapp.WriteJSON(w, http.StatusOK, peerapp.CountBody(2))
	})
}

// ours is examples/nethttp's /api/count and /api/read.
func ours() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /api/count", func(w http.ResponseWriter, r *http.Request) {
		n, err := sessions.FromContext(r.Context()).Incr("count", 1)
		if err != nil {
			peerapp.WriteJSON(w, sessions.ErrorStatus(err), peerapp.UnavailableBody)
			return
		}
		peerapp.WriteJSON(w, http.StatusOK, peerapp.CountBody(n))
	})
	mux.HandleFunc("GET /api/read", func(w http.ResponseWriter, r *http.Request) {
		n, _, err := sessions.Get[int64](sessions.FromContext(r.Context()), "count")
		if err != nil {
			peerapp.WriteJSON(w, sessions.ErrorStatus(err), peerapp.UnavailableBody)
			return
		}
		peerapp.WriteJSON(w, http.StatusOK, peerapp.CountBody(n))
	})
	return mux
}

// writer is a reusable ResponseWriter that keeps the status and the
// body's start.
type writer struct {
	h      http.Header
	status int
	body   []byte
}

func (w *writer) Header() http.Header { return w.h }
func (w *writer) WriteHeader(code int) {
	if w.status == 0 {
		w.status = code
	}
}
func (w *writer) Write(b []byte) (int, error) {
	w.WriteHeader(http.StatusOK)
	if len(w.body) < 64 {
		w.body = append(w.body, b[:min(len(b), 64-len(w.body))]...)
	}
	return len(b), nil
}
func (w *writer) reset() { clear(w.h); w.status = 0; w.body = w.body[:0] }

// session returns the Cookie header of a session made by one /api/count.
func session(tb testing.TB, h http.Handler) string {
	tb.Helper()
	w := &writer{h: http.Header{}}
	h.ServeHTTP(w, request("/api/count", ""))
	if w.status != http.StatusOK {
		tb.Fatalf("first /api/count: %d %s", w.status, w.body)
	}
	var pairs []string
	for _, sc := range w.h.Values("Set-Cookie") {
		pair, _, _ := strings.Cut(sc, ";")
		pairs = append(pairs, pair)
	}
	if len(pairs) == 0 {
		tb.Fatal("first /api/count set no cookie")
	}
	return strings.Join(pairs, "; ")
}

func request(path, cookie string) *http.Request {
	r := &http.Request{Method: http.MethodGet, URL: &url.URL{Path: path}, Header: http.Header{}, Host: "127.0.0.1",
		Proto: "HTTP/1.1", ProtoMajor: 1, ProtoMinor: 1, RemoteAddr: "127.0.0.1:1", RequestURI: path}
	if cookie != "" {
		r.Header.Set("Cookie", cookie)
	}
	return r.WithContext(context.Background())
}

func bench(b *testing.B, path string) {
	for _, s := range servers(b) {
		b.Run(s.name, func(b *testing.B) {
			cookie := session(b, s.h)
			w := &writer{h: http.Header{}}
			b.ReportAllocs()
			b.ResetTimer()
			for b.Loop() {
				w.reset()
				s.h.ServeHTTP(w, request(path, cookie))
				if w.status != http.StatusOK {
					b.Fatalf("%s: %d %s", path, w.status, w.body)
				}
			}
		})
	}
}

// BenchmarkCount is /api/count with a session: a modifying request.
func BenchmarkCount(b *testing.B) { bench(b, "/api/count") }

// BenchmarkRead is /api/read with a session.
func BenchmarkRead(b *testing.B) { bench(b, "/api/read") }

// TestHandlersCount checks that each handler counts and reads as the
// benchmark assumes.
func TestHandlersCount(t *testing.T) {
	for _, s := range servers(t) {
		cookie := session(t, s.h)
		w := &writer{h: http.Header{}}
		s.h.ServeHTTP(w, request("/api/count", cookie))
		w.reset()
		s.h.ServeHTTP(w, request("/api/read", cookie))
		if s.name != "harness" && (w.status != http.StatusOK || string(w.body) != `{"count":2}`) {
			t.Errorf("%s: read after two counts: %d %s", s.name, w.status, w.body)
		}
	}
}
