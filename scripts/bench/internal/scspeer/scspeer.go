// Package scspeer is the net/http peer: alexedwards/scs v2 with its
// go-redis store (goredisstore), configured as the demo contract says
// (idle timeout 30m, lifetime 24h) and mounted with scs's own LoadAndSave
// middleware.
//
// scs re-commits a session it loaded on every request once IdleTimeout is
// set (its Load marks the data modified, to push the expiry forward), so
// its /api/read is a GET and a SET, and answers with Set-Cookie.
package scspeer

import (
	"net/http"

	"github.com/alexedwards/scs/goredisstore"
	"github.com/alexedwards/scs/v2"
	"github.com/redis/go-redis/v9"

	"github.com/gosessions/sessions/scripts/bench/internal/peerapp"
)

// NewHandler returns the scs peer's routes over rdb, the sessions (scs's
// LoadAndSave) mounted on /api only.
func NewHandler(rdb *redis.Client) http.Handler {
	sm := scs.New()
	sm.Store = goredisstore.New(rdb)
	sm.Lifetime = peerapp.AbsoluteTimeout
	sm.IdleTimeout = peerapp.IdleTimeout
	sm.Cookie.Secure = false // the benchmark runs on plain http
	sm.ErrorFunc = func(w http.ResponseWriter, _ *http.Request, _ error) {
		peerapp.WriteJSON(w, http.StatusServiceUnavailable, peerapp.UnavailableBody)
	}

	api := http.NewServeMux()
	api.HandleFunc("GET /api/count", func(w http.ResponseWriter, r *http.Request) {
		n := sm.GetInt(r.Context(), "count") + 1
		sm.Put(r.Context(), "count", n)
		peerapp.WriteJSON(w, http.StatusOK, peerapp.CountBody(int64(n)))
	})
	api.HandleFunc("GET /api/read", func(w http.ResponseWriter, r *http.Request) {
		peerapp.WriteJSON(w, http.StatusOK, peerapp.CountBody(int64(sm.GetInt(r.Context(), "count"))))
	})

	mux := http.NewServeMux()
	mux.HandleFunc("GET /health", peerapp.Health)
	mux.Handle("/api/", sm.LoadAndSave(api))
	return mux
}
