package main

import (
	"errors"
	"log/slog"
	"net/http"

	sessions "github.com/gosessions/sessions/core"
	"github.com/gosessions/sessions/examples/internal/demo"
)

// routes returns the app's handler: the demo contract's endpoints behind
// sessions.Middleware, behind net/http's CSRF protection (which refuses
// cross-origin POSTs from browsers; in cookie mode the session cookie's
// SameSite=Lax is the second line, while in jwt mode no credential rides
// along by itself). jwt says the store is a JWT store: GET / is then the
// static page whose script carries the token.
//
// Every route sits behind the middleware, /health too: the session is
// loaded lazily, so a handler that never touches it costs no store command
// and sets no cookie or token.
func routes(store *sessions.Store, jwt bool, logger *slog.Logger) http.Handler {
	h := handlers{log: logger}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /health", h.health)
	mux.HandleFunc("GET /api/count", h.count)
	mux.HandleFunc("GET /api/read", h.read)
	mux.HandleFunc("POST /api/login", h.login)
	mux.HandleFunc("GET /api/me", h.me)
	mux.HandleFunc("POST /api/logout", h.logout)
	mux.HandleFunc("POST /api/logout-all", h.logoutAll)
	mux.HandleFunc("POST /api/kv", h.setKV)
	mux.HandleFunc("GET /api/kv", h.getKV)
	if jwt {
		mux.HandleFunc("GET /{$}", h.static)
	} else {
		mux.HandleFunc("GET /{$}", h.page)
	}
	withSessions := sessions.Middleware(store, sessions.MiddlewareOptions{})(mux)
	return http.NewCrossOriginProtection().Handler(withSessions)
}

// handlers holds what the handlers share.
type handlers struct {
	log *slog.Logger
}

func (h handlers) health(w http.ResponseWriter, _ *http.Request) {
	demo.WriteJSON(w, http.StatusOK, demo.Health{Status: "ok"})
}

// count increments the session's counter; the increment runs inside the
// store, so concurrent requests never lose one.
func (h handlers) count(w http.ResponseWriter, r *http.Request) {
	n, err := sessions.FromContext(r.Context()).Incr("count", 1)
	if err != nil {
		h.sessionError(w, r, err)
		return
	}
	demo.WriteJSON(w, http.StatusOK, demo.Count{Count: n})
}

// read reports the counter without writing anything: a client without a
// session gets 0 and no cookie or token.
func (h handlers) read(w http.ResponseWriter, r *http.Request) {
	n, _, err := sessions.Get[int64](sessions.FromContext(r.Context()), "count")
	if err != nil {
		h.sessionError(w, r, err)
		return
	}
	demo.WriteJSON(w, http.StatusOK, demo.Count{Count: n})
}

// login renews the session id before storing the user, so that an id
// planted before login (session fixation) is dead after it.
func (h handlers) login(w http.ResponseWriter, r *http.Request) {
	name := r.PostFormValue("user")
	if name == "" {
		demo.WriteError(w, http.StatusBadRequest, "form field user is required")
		return
	}
	s := sessions.FromContext(r.Context())
	if err := s.Renew(); err != nil {
		h.sessionError(w, r, err)
		return
	}
	if err := s.Set("user", name); err != nil {
		h.sessionError(w, r, err)
		return
	}
	demo.WriteJSON(w, http.StatusOK, demo.User{User: name})
}

func (h handlers) me(w http.ResponseWriter, r *http.Request) {
	name, ok, err := sessions.Get[string](sessions.FromContext(r.Context()), "user")
	switch {
	case err != nil:
		h.sessionError(w, r, err)
	case !ok:
		demo.WriteError(w, http.StatusUnauthorized, "not logged in")
	default:
		demo.WriteJSON(w, http.StatusOK, demo.User{User: name})
	}
}

// logout deletes the session from the store; the middleware then clears
// the cookie, or in jwt mode sends an empty Session-Token header.
func (h handlers) logout(w http.ResponseWriter, r *http.Request) {
	if err := sessions.FromContext(r.Context()).Destroy(); err != nil {
		h.sessionError(w, r, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

func (h handlers) logoutAll(w http.ResponseWriter, _ *http.Request) {
	demo.WriteError(w, http.StatusNotImplemented, "logout-all is not available yet: it needs the per-user session index")
}

func (h handlers) setKV(w http.ResponseWriter, r *http.Request) {
	k, v := r.FormValue("k"), r.FormValue("v")
	if k == "" {
		demo.WriteError(w, http.StatusBadRequest, "parameter k is required")
		return
	}
	if err := sessions.FromContext(r.Context()).Set(k, v); err != nil {
		h.sessionError(w, r, err)
		return
	}
	demo.WriteJSON(w, http.StatusOK, demo.KV{K: k, V: v})
}

func (h handlers) getKV(w http.ResponseWriter, r *http.Request) {
	k := r.URL.Query().Get("k")
	if k == "" {
		demo.WriteError(w, http.StatusBadRequest, "parameter k is required")
		return
	}
	v, ok, err := sessions.Get[string](sessions.FromContext(r.Context()), k)
	switch {
	case err != nil:
		h.sessionError(w, r, err)
	case !ok:
		demo.WriteError(w, http.StatusNotFound, "no such key")
	default:
		demo.WriteJSON(w, http.StatusOK, demo.KV{K: k, V: v})
	}
}

// sessionError answers a failed session operation the way the middleware
// answers a failed load or save: sessions.DefaultErrorHandler sends 503
// {"error":"session store unavailable"} when err wraps
// sessions.ErrUnavailable (a live session must never read as empty) and a
// generic 500 otherwise. The log gets the error, whose text never holds an
// id, a cookie or a stored value.
func (h handlers) sessionError(w http.ResponseWriter, r *http.Request, err error) {
	level := slog.LevelError
	if errors.Is(err, sessions.ErrUnavailable) {
		level = slog.LevelWarn // the store's outage, not the app's bug
	}
	h.log.Log(r.Context(), level, "session error", "method", r.Method, "path", r.URL.Path, "err", err)
	sessions.DefaultErrorHandler(w, r, err)
}
