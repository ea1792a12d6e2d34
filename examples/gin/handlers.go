package main

import (
	"errors"
	"net/http"

	"github.com/gin-gonic/gin"

	sessions "github.com/gosessions/sessions/core"
	"github.com/gosessions/sessions/examples/internal/demo"
	sessionsgin "github.com/gosessions/sessions/gin"
)

// newEngine returns the app: gin.Default's engine (its Logger, and its
// Recovery, which is outside the sessions so that a panic saves nothing),
// then net/http's cross-origin protection (which refuses cross-origin
// POSTs from browsers; in cookie mode the session cookie's SameSite=Lax
// is the second line, while in jwt mode no credential rides along by
// itself), then the sessionsgin middleware and the demo contract's
// endpoints. jwt says the store is a JWT store: GET / is then the static
// page whose script carries the token.
//
// Every route sits behind the middleware, /health too: the session is
// loaded lazily, so a handler that never touches it costs no store command
// and sets no cookie or token.
func newEngine(store *sessions.Store, jwt bool) (*gin.Engine, error) {
	r := gin.Default()
	// The demo serves browsers directly: the client's address (in gin's
	// log) is the peer's, whatever X-Forwarded-For says.
	if err := r.SetTrustedProxies(nil); err != nil {
		return nil, err
	}
	r.LoadHTMLFS(http.FS(demo.Pages), "page.html")
	r.Use(crossOrigin(http.NewCrossOriginProtection()))
	r.Use(sessionsgin.Middleware(store, sessionsgin.Options{ErrorHandler: sessionFailed}))

	h := handlers{store: store}
	r.GET("/health", health)
	if jwt {
		r.GET("/", static)
	} else {
		r.GET("/", h.page)
	}
	api := r.Group("/api")
	{
		api.GET("/count", count)
		api.GET("/read", read)
		api.POST("/login", login)
		api.GET("/me", me)
		api.POST("/logout", logout)
		api.POST("/logout-all", h.logoutAll)
		api.GET("/sessions", h.listSessions)
		api.POST("/sessions/revoke", h.revokeSession)
		api.POST("/kv", setKV)
		api.GET("/kv", getKV)
	}
	return r, nil
}

// handlers holds what the handlers that reach past the request's session
// share: the store, for the user's other sessions.
type handlers struct {
	store *sessions.Store
}

func health(c *gin.Context) {
	c.JSON(http.StatusOK, demo.Health{Status: "ok"})
}

// count increments the session's counter; the increment runs inside the
// store, so concurrent requests never lose one.
func count(c *gin.Context) {
	n, err := sessionsgin.FromContext(c).Incr("count", 1)
	if err != nil {
		abortWithError(c, err)
		return
	}
	c.JSON(http.StatusOK, demo.Count{Count: n})
}

// read reports the counter without writing anything: a client without a
// session gets 0 and no cookie or token.
func read(c *gin.Context) {
	n, _, err := sessions.Get[int64](sessionsgin.FromContext(c), "count")
	if err != nil {
		abortWithError(c, err)
		return
	}
	c.JSON(http.StatusOK, demo.Count{Count: n})
}

// login renews the session id before storing the user, so that an id
// planted before login (session fixation) is dead after it, and binds the
// session to the user (labelled with the browser's User-Agent, which the
// core cuts to sessions.MaxLabelLen), which lists it in the user's
// sessions (GET /api/sessions) and ends it with the others at
// logout-all. The binding is written with the renewed record. The user
// comes from the form body only (c.PostForm), never the query string.
func login(c *gin.Context) {
	name := c.PostForm("user")
	if name == "" {
		abortWith(c, http.StatusBadRequest, "form field user is required")
		return
	}
	s := sessionsgin.FromContext(c)
	if err := s.Renew(); err != nil {
		abortWithError(c, err)
		return
	}
	if err := s.Set("user", name); err != nil {
		abortWithError(c, err)
		return
	}
	if err := s.BindUser(name, c.Request.UserAgent()); err != nil {
		abortWithError(c, err)
		return
	}
	c.JSON(http.StatusOK, demo.User{User: name})
}

// me answers the session's user: the user it is bound to, which only a
// login sets (a "user" key written through /api/kv is just data).
func me(c *gin.Context) {
	if name, ok := user(c); ok {
		c.JSON(http.StatusOK, demo.User{User: name})
	}
}

// user returns the user the request's session is bound to. Without one it
// aborts with 401 (or the session error), and ok is false.
func user(c *gin.Context) (name string, ok bool) {
	name, err := sessionsgin.FromContext(c).BoundUser()
	switch {
	case err != nil:
		abortWithError(c, err)
	case name == "":
		abortWith(c, http.StatusUnauthorized, "not logged in")
	}
	return name, err == nil && name != ""
}

// logout deletes the session from the store; the middleware then clears
// the cookie, or in jwt mode sends an empty Session-Token header.
func logout(c *gin.Context) {
	if err := sessionsgin.FromContext(c).Destroy(); err != nil {
		abortWithError(c, err)
		return
	}
	c.Status(http.StatusNoContent)
}

// logoutAll ends every session of the user: the others through the
// store's per-user index, then this one with Destroy, so that this
// response clears the cookie or token.
func (h handlers) logoutAll(c *gin.Context) {
	user, ok := user(c)
	if !ok {
		return
	}
	s := sessionsgin.FromContext(c)
	n, err := h.store.DestroyUserSessions(c.Request.Context(), user, s)
	if err != nil {
		abortWithError(c, err)
		return
	}
	if err := s.Destroy(); err != nil {
		abortWithError(c, err)
		return
	}
	c.JSON(http.StatusOK, demo.Destroyed{Destroyed: n + 1})
}

// listSessions lists the user's live sessions, marking this one; their
// handles name them for revokeSession and are no credential.
func (h handlers) listSessions(c *gin.Context) {
	user, ok := user(c)
	if !ok {
		return
	}
	list, err := h.store.ListSessions(c.Request.Context(), user, sessionsgin.FromContext(c))
	if err != nil {
		abortWithError(c, err)
		return
	}
	c.JSON(http.StatusOK, demo.SessionList(list))
}

// revokeParams are the parameters of POST /api/sessions/revoke, from the
// query string or the form body.
type revokeParams struct {
	Handle string `form:"handle" binding:"required"`
}

// revokeSession ends the user's session named by the handle parameter,
// wherever it is in use. Revoking this session is logging out: Destroy
// also clears its cookie or token.
func (h handlers) revokeSession(c *gin.Context) {
	user, ok := user(c)
	if !ok {
		return
	}
	var p revokeParams
	if err := c.ShouldBind(&p); err != nil {
		abortWith(c, http.StatusBadRequest, "parameter handle is required")
		return
	}
	s := sessionsgin.FromContext(c)
	var n int
	var err error
	n, err = h.store.RevokeSession(c.Request.Context(), user, p.Handle, s)
	switch {
	case err != nil:
		abortWithError(c, err)
	case n == 0:
		abortWith(c, http.StatusNotFound, "no such session")
	default:
		c.JSON(http.StatusOK, demo.Destroyed{Destroyed: n})
	}
}

// kvParams are the parameters of POST /api/kv, from the query string or
// the form body.
type kvParams struct {
	K string `form:"k" binding:"required"`
	V string `form:"v"`
}

// setKV sets session key k to v.
func setKV(c *gin.Context) {
	var p kvParams
	if err := c.ShouldBind(&p); err != nil {
		abortWith(c, http.StatusBadRequest, "parameter k is required")
		return
	}
	if err := sessionsgin.FromContext(c).Set(p.K, p.V); err != nil {
		abortWithError(c, err) // ErrTooLarge for a value past the session's MaxSize: 413
		return
	}
	c.JSON(http.StatusOK, demo.KV{K: p.K, V: p.V})
}

func getKV(c *gin.Context) {
	k := c.Query("k")
	if k == "" {
		abortWith(c, http.StatusBadRequest, "parameter k is required")
		return
	}
	v, ok, err := sessions.Get[string](sessionsgin.FromContext(c), k)
	switch {
	case err != nil:
		abortWithError(c, err)
	case !ok:
		abortWith(c, http.StatusNotFound, "no such key")
	default:
		c.JSON(http.StatusOK, demo.KV{K: k, V: v})
	}
}

// abortWithError answers a failed session operation by demo.ErrorAnswer:
// 503 {"error":"session store unavailable"} when the store is down (a live
// session must never read as empty), 409 for a stored value that does not
// fit (a count that /api/kv set to "abc": the client's doing, never a
// 5xx). It records err with c.Error, for gin's Logger; its text never
// holds an id, a cookie or a stored value.
func abortWithError(c *gin.Context, err error) {
	_ = c.Error(err) // the *gin.Error is for chaining only
	if abortWithOutagePage(c, err) {
		return
	}
	status, msg := demo.ErrorAnswer(err)
	abortWith(c, status, msg)
}

// sessionFailed is the sessionsgin middleware's ErrorHandler, which
// answers a session that could not be loaded or saved: as the default
// does (c.Abort, c.Error, and 503 {"error":"session store unavailable"},
// ...), except for a browser loading the page while the store is down
// (see abortWithOutagePage).
func sessionFailed(c *gin.Context, err error) {
	_ = c.Error(err)
	if abortWithOutagePage(c, err) {
		return
	}
	c.Abort()
	sessions.DefaultErrorHandler(c.Writer, c.Request, err)
}

// abortWithOutagePage answers a browser loading the page while the store
// is down with the page itself and 503 (demo.OutagePage), which says so
// and retries until the store is back, rather than a JSON error; it
// reports whether it did.
func abortWithOutagePage(c *gin.Context, err error) bool {
	if !demo.IsPageLoad(c.Request) || !errors.Is(err, sessions.ErrUnavailable) {
		return false
	}
	c.Header("Cache-Control", "no-store")
	c.Data(http.StatusServiceUnavailable, "text/html; charset=utf-8", outagePage)
	c.Abort()
	return true
}

// abortWith stops the chain and answers status with {"error":msg}, not to
// be cached.
func abortWith(c *gin.Context, status int, msg string) {
	c.Header("Cache-Control", "no-store")
	c.AbortWithStatusJSON(status, demo.Error{Error: msg})
}

// crossOrigin is net/http's cross-origin protection as gin middleware: a
// browser request with an unsafe method (POST, ...) from another origin,
// by its Sec-Fetch-Site or Origin header, gets 403.
func crossOrigin(p *http.CrossOriginProtection) gin.HandlerFunc {
	return func(c *gin.Context) {
		if err := p.Check(c.Request); err != nil {
			abortWith(c, http.StatusForbidden, err.Error())
			return
		}
		c.Next()
	}
}
