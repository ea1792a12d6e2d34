package main

import (
	"errors"
	"log/slog"
	"net/http"

	"github.com/go-chi/chi/v5"
	"github.com/go-chi/chi/v5/middleware"

	sessionschi "github.com/gosessions/sessions/chi"
	sessions "github.com/gosessions/sessions/core"
	"github.com/gosessions/sessions/examples/internal/demo"
)

// newRouter returns the app: a chi router with chi's Logger and Recoverer
// (outside the sessions, so that a panic saves nothing) and net/http's
// cross-origin protection (which refuses cross-origin POSTs from
// browsers; in cookie mode the session cookie's SameSite=Lax is the second
// line, while in jwt mode no credential rides along by itself), then the
// demo contract's endpoints. jwt says the store is a JWT store: GET / is
// then the static page whose script carries the token.
//
// Every route sits behind the sessions, /health and the jwt-mode page
// too, as in the other programs: the session is loaded lazily, so a
// handler that never touches it costs no store command and sets no
// cookie or token, while the answer still says Vary: Cookie (or
// Session-Token) like theirs. (An app whose static routes should not
// even read the cookie mounts the middleware on a r.Group of the others.)
func newRouter(store *sessions.Store, jwt bool, log *slog.Logger) http.Handler {
	h := handlers{store: store, log: log}
	r := chi.NewRouter()
	r.Use(middleware.Logger)
	r.Use(middleware.Recoverer)
	r.Use(http.NewCrossOriginProtection().Handler)

	r.Group(func(r chi.Router) {
		r.Use(sessionschi.Middleware(store, sessionschi.Options{ErrorHandler: answerFailure}))
		r.Get("/health", health)
		if jwt {
			r.Get("/", static)
		} else {
			r.Get("/", h.page) // the page shows the session
		}
		r.Route("/api", func(r chi.Router) {
			r.Get("/count", h.count)
			r.Get("/read", h.read)
			r.Post("/login", h.login)
			r.Get("/me", h.me)
			r.Post("/logout", h.logout)
			r.Post("/logout-all", h.logoutAll)
			r.Get("/sessions", h.listSessions)
			r.Post("/sessions/revoke", h.revokeSession)
			r.Post("/kv", h.setKV)
			r.Get("/kv", h.getKV)
		})
	})
	return r
}

// handlers holds what the handlers share.
type handlers struct {
	store *sessions.Store // for the user's other sessions
	log   *slog.Logger
}

func health(w http.ResponseWriter, _ *http.Request) {
	demo.WriteJSON(w, http.StatusOK, demo.Health{Status: "ok"})
}

// count increments the session's counter; the increment runs inside the
// store, so concurrent requests never lose one.
func (h handlers) count(w http.ResponseWriter, r *http.Request) {
	n, err := sessionschi.FromContext(r.Context()).Incr("count", 1)
	if err != nil {
		h.sessionError(w, r, err)
		return
	}
	demo.WriteJSON(w, http.StatusOK, demo.Count{Count: n})
}

// read reports the counter without writing anything: a client without a
// session gets 0 and no cookie or token.
func (h handlers) read(w http.ResponseWriter, r *http.Request) {
	n, _, err := sessions.Get[int64](sessionschi.FromContext(r.Context()), "count")
	if err != nil {
		h.sessionError(w, r, err)
		return
	}
	demo.WriteJSON(w, http.StatusOK, demo.Count{Count: n})
}

// login renews the session id before storing the user, so that an id
// planted before login (session fixation) is dead after it, and binds the
// session to the user (labelled with the browser's User-Agent, which the
// core cuts to sessions.MaxLabelLen), which lists it in the user's
// sessions (GET /api/sessions) and ends it with the others at
// logout-all. The binding is written with the renewed record. The user
// comes from the form body only, never the query string.
func (h handlers) login(w http.ResponseWriter, r *http.Request) {
	name := r.PostFormValue("user")
	if name == "" {
		demo.WriteError(w, http.StatusBadRequest, "form field user is required")
		return
	}
	s := sessionschi.FromContext(r.Context())
	if err := s.Renew(); err != nil {
		h.sessionError(w, r, err)
		return
	}
	if err := s.Set("user", name); err != nil {
		h.sessionError(w, r, err)
		return
	}
	if err := s.BindUser(name, r.UserAgent()); err != nil {
		h.sessionError(w, r, err)
		return
	}
	demo.WriteJSON(w, http.StatusOK, demo.User{User: name})
}

// me answers the session's user: the user it is bound to, which only a
// login sets (a "user" key written through /api/kv is just data).
func (h handlers) me(w http.ResponseWriter, r *http.Request) {
	if name, ok := h.user(w, r); ok {
		demo.WriteJSON(w, http.StatusOK, demo.User{User: name})
	}
}

// user returns the user the request's session is bound to. Without one it
// answers 401 (or the session error) itself, and ok is false.
func (h handlers) user(w http.ResponseWriter, r *http.Request) (name string, ok bool) {
	name, err := sessionschi.FromContext(r.Context()).BoundUser()
	switch {
	case err != nil:
		h.sessionError(w, r, err)
	case name == "":
		demo.WriteError(w, http.StatusUnauthorized, "not logged in")
	}
	return name, err == nil && name != ""
}

// logout deletes the session from the store; the middleware then clears
// the cookie, or in jwt mode sends an empty Session-Token header.
func (h handlers) logout(w http.ResponseWriter, r *http.Request) {
	if err := sessionschi.FromContext(r.Context()).Destroy(); err != nil {
		h.sessionError(w, r, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

// logoutAll ends every session of the user: the others through the
// store's per-user index, then this one with Destroy, so that this
// response clears the cookie or token.
func (h handlers) logoutAll(w http.ResponseWriter, r *http.Request) {
	user, ok := h.user(w, r)
	if !ok {
		return
	}
	s := sessionschi.FromContext(r.Context())
	n, err := h.store.DestroyUserSessions(r.Context(), user, s)
	if err != nil {
		h.sessionError(w, r, err)
		return
	}
	if err := s.Destroy(); err != nil {
		h.sessionError(w, r, err)
		return
	}
	demo.WriteJSON(w, http.StatusOK, demo.Destroyed{Destroyed: n + 1})
}

// listSessions lists the user's live sessions, marking this one; their
// handles name them for revokeSession and are no credential.
func (h handlers) listSessions(w http.ResponseWriter, r *http.Request) {
	user, ok := h.user(w, r)
	if !ok {
		return
	}
	list, err := h.store.ListSessions(r.Context(), user, sessionschi.FromContext(r.Context()))
	if err != nil {
		h.sessionError(w, r, err)
		return
	}
	demo.WriteJSON(w, http.StatusOK, demo.SessionList(list))
}

// revokeSession ends the user's session named by the handle parameter,
// wherever it is in use. Revoking this session is logging out: Destroy
// also clears its cookie or token.
func (h handlers) revokeSession(w http.ResponseWriter, r *http.Request) {
	user, ok := h.user(w, r)
	if !ok {
		return
	}
	handle := r.FormValue("handle")
	if handle == "" {
		demo.WriteError(w, http.StatusBadRequest, "parameter handle is required")
		return
	}
	s := sessionschi.FromContext(r.Context())
	var n int
	var err error
	n, err = h.store.RevokeSession(r.Context(), user, handle, s)
	switch {
	case err != nil:
		h.sessionError(w, r, err)
	case n == 0:
		demo.WriteError(w, http.StatusNotFound, "no such session")
	default:
		demo.WriteJSON(w, http.StatusOK, demo.Destroyed{Destroyed: n})
	}
}

// setKV sets session key k to v; both come from the query or the form.
func (h handlers) setKV(w http.ResponseWriter, r *http.Request) {
	k, v := r.FormValue("k"), r.FormValue("v")
	if k == "" {
		demo.WriteError(w, http.StatusBadRequest, "parameter k is required")
		return
	}
	if err := sessionschi.FromContext(r.Context()).Set(k, v); err != nil {
		h.sessionError(w, r, err) // ErrTooLarge for a value past the session's MaxSize: 413
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
	v, ok, err := sessions.Get[string](sessionschi.FromContext(r.Context()), k)
	switch {
	case err != nil:
		h.sessionError(w, r, err)
	case !ok:
		demo.WriteError(w, http.StatusNotFound, "no such key")
	default:
		demo.WriteJSON(w, http.StatusOK, demo.KV{K: k, V: v})
	}
}

// sessionError answers a failed session operation: 409 for a stored value
// that does not fit (a count that /api/kv set to "abc": the client's doing,
// never a 5xx), otherwise the way the middleware answers a failed load or
// save: sessions.DefaultErrorHandler sends 503 {"error":"session store
// unavailable"} when err wraps sessions.ErrUnavailable (a live session
// must never read as empty) and a generic 500 otherwise (see
// demo.ErrorAnswer). The log gets the cause of a 5xx, whose text never
// holds an id, a cookie or a stored value.
func (h handlers) sessionError(w http.ResponseWriter, r *http.Request, err error) {
	status, msg := demo.ErrorAnswer(err)
	if status < http.StatusInternalServerError {
		w.Header().Set("Cache-Control", "no-store")
		demo.WriteError(w, status, msg)
		return
	}
	level := slog.LevelError
	if errors.Is(err, sessions.ErrUnavailable) {
		level = slog.LevelWarn // the store's outage, not the app's bug
	}
	h.log.Log(r.Context(), level, "session error", "method", r.Method, "path", r.URL.Path, "err", err)
	answerFailure(w, r, err)
}

// answerFailure answers a session that could not be loaded or saved, as
// the sessions middleware's ErrorHandler and for sessionError: as
// sessions.DefaultErrorHandler does (503 {"error":"session store
// unavailable"}, ...), except for a browser loading the page while the
// store is down, which gets the page itself with 503 (demo.OutagePage):
// it says so, and its script retries until the store is back.
func answerFailure(w http.ResponseWriter, r *http.Request, err error) {
	if demo.IsPageLoad(r) && errors.Is(err, sessions.ErrUnavailable) {
		demo.WriteOutagePage(w, outagePage)
		return
	}
	sessions.DefaultErrorHandler(w, r, err)
}
