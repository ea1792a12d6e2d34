package sessions_test

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"testing"

	sessions "github.com/gosessions/sessions/core"
	"github.com/gosessions/sessions/core/sessionstest"
)

// TestMiddlewareConformance holds the net/http Middleware to the
// conformance kit.
func TestMiddlewareConformance(t *testing.T) {
	sessionstest.Run(t, sessionstest.Harness{Serve: serveMiddleware})
}

// TestMiddlewareConformanceCached holds the net/http Middleware with
// StoreOptions.LocalCache on to the whole conformance kit: the cache
// changes no behaviour. (A Cluster refuses the cache; the kit runs on one
// without it.)
func TestMiddlewareConformanceCached(t *testing.T) {
	if strings.HasPrefix(os.Getenv("REDICT_URL"), "redis+cluster") || strings.HasPrefix(os.Getenv("REDICT_URL"), "rediss+cluster") {
		t.Skip("LocalCache is for single-node and Sentinel clients")
	}
	sessionstest.Run(t, sessionstest.Harness{Serve: serveMiddleware, LocalCache: 1000})
}

// serveMiddleware serves routes on a net/http mux behind Middleware.
func serveMiddleware(t testing.TB, st *sessions.Store, routes []sessionstest.Route) string {
	mux := http.NewServeMux()
	for _, rt := range routes {
		mux.HandleFunc(rt.Method+" "+rt.Path, func(w http.ResponseWriter, r *http.Request) {
			r.ParseForm()
			status, body := rt.Handle(sessions.FromContext(r.Context()), r.Form)
			if err, ok := body.(error); ok && sessions.IsSessionError(err) {
				sessions.WriteError(w, err)
				return
			}
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(status)
			json.NewEncoder(w).Encode(body)
		})
	}
	srv := httptest.NewServer(sessions.Middleware(st, sessions.MiddlewareOptions{})(mux))
	t.Cleanup(srv.Close)
	return srv.URL
}
