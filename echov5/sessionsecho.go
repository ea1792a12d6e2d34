package sessionsecho

import (
	"bufio"
	"errors"
	"net"
	"net/http"

	"github.com/labstack/echo/v5"

	sessions "github.com/gosessions/sessions/core"
)

// Options configures Middleware. The zero value is the default.
type Options struct {
	// ErrorHandler answers a request whose session could not be saved
	// when the handler returned without writing a response, or whose
	// handler returned a session error (sessions.IsSessionError) before
	// writing; Middleware returns its result. The default answers as
	// every gosessions integration does: status sessions.ErrorStatus(err),
	// body sessions.ErrorBody(err), Cache-Control no-store. To hand the
	// error to the app's HTTPErrorHandler instead, return
	// echo.NewHTTPError(sessions.ErrorStatus(err),
	// sessions.ErrorMessage(err)).Wrap(err). (A save that fails as the
	// response is written is answered by Middleware itself, as the
	// default does: the header is about to go out.)
	ErrorHandler func(c *echo.Context, err error) error
}

// Middleware returns echo middleware that attaches the request's session
// (see FromContext; sessions.FromContext(c.Request().Context()) finds it
// too) and saves it just before the response's header is written, so
// that its cookie or token goes out with the first byte. Should that save
// fail, the response becomes the error answer (status
// sessions.ErrorStatus(err), body sessions.ErrorBody(err), Cache-Control
// no-store) in place of the handler's. When the handler returns without
// writing, the session is saved then, and a failure goes to
// Options.ErrorHandler, as does a session error the handler returned
// (errors.Is: also one an *echo.HTTPError wraps). Other errors go to
// echo's HTTPErrorHandler.
//
// A handler's error keeps its session changes. A handler that panics
// saves nothing more (register middleware.Recover before, outside, this
// middleware): its unsaved changes are dropped and a Renew not written yet
// is undone; what Incr, Update or a Store.Save wrote stays, and when that
// write created the session or carried its Renew, the new token goes out
// with the recovery's answer. Changes made after the first byte are saved
// when the handler returns if the session already exists in the store;
// one that would start a session fails with sessions.ErrCommitted.
//
// The middleware puts a writer of its own under echo's *echo.Response
// (see echo.UnwrapResponse); it has Unwrap, for http.ResponseController.
func Middleware(st *sessions.Store, opts Options) echo.MiddlewareFunc {
	onError := opts.ErrorHandler
	if onError == nil {
		onError = writeError
	}
	return func(next echo.HandlerFunc) echo.HandlerFunc {
		return func(c *echo.Context) error {
			res, err := echo.UnwrapResponse(c.Response())
			if err != nil { // an outer writer hides echo's: put one on top
				res = echo.NewResponse(c.Response(), c.Logger())
				c.SetResponse(res)
			}
			// One allocation holds the session, the carrier and the writer.
			x := &exchange{c: c, res: res, st: st}
			x.w = writer{ResponseWriter: res.ResponseWriter, x: x}
			res.ResponseWriter = &x.w
			req := c.Request()
			st.LoadInto(req.Context(), &x.s, x)
			c.SetRequest(req.WithContext(sessions.NewContext(req.Context(), &x.s)))
			res.Before(x.commit)
			done := false
			defer func() {
				if !done { // the handler panicked
					st.Discard(&x.s)
				}
			}()
			err = next(c)
			done = true
			switch {
			case x.err != nil: // the commit failed: the error answer replaces the response
				x.w.fail()
				return err
			case x.committed: // late changes; a failure goes to the store's Logger
				_ = st.Finish(req.Context(), x, &x.s) // committed: it reports to the store's Logger and returns nil
				return err
			}
			x.committed = true
			if ferr := st.Finish(req.Context(), x, &x.s); ferr != nil {
				err = ferr
			} else if !sessions.IsSessionError(err) {
				return err
			}
			sessions.DropHandlerHeaders(res.Header())
			return onError(c, err)
		}
	}
}

// FromContext returns the session Middleware attached to c, or nil (the
// methods of a nil *sessions.Session return sessions.ErrNoSession). It
// is sessions.FromContext(c.Request().Context()).
func FromContext(c *echo.Context) *sessions.Session {
	if r := c.Request(); r != nil {
		return sessions.FromContext(r.Context())
	}
	return nil
}

// writeError is the default Options.ErrorHandler.
func writeError(c *echo.Context, err error) error {
	sessions.DefaultErrorHandler(c.Response(), nil, err)
	return nil
}

// exchange is the per-request state of Middleware, and its Carrier.
type exchange struct {
	c         *echo.Context
	res       *echo.Response
	st        *sessions.Store
	s         sessions.Session
	w         writer
	committed bool  // Commit ran (or Finish, for a response not written)
	err       error // Commit's error: the error answer replaces the response
}

var (
	_ sessions.HeaderSetter   = (*exchange)(nil)
	_ sessions.OriginReporter = (*exchange)(nil)
)

func (x *exchange) Header(name string) string { return x.c.Request().Header.Get(name) }

func (x *exchange) Cookies(name string) []string {
	var vals []string
	for _, ck := range x.c.Request().CookiesNamed(name) {
		vals = append(vals, ck.Value)
	}
	return vals
}

func (x *exchange) AddHeader(name, value string) { x.res.Header().Add(name, value) }

func (x *exchange) SetHeader(name, value string) { x.res.Header().Set(name, value) }

func (x *exchange) SetCookie(ck *http.Cookie) { http.SetCookie(x.res, ck) }

func (x *exchange) Origin() (scheme, host string) { return sessions.RequestOrigin(x.c.Request()) }

// commit saves the session once, before the header goes out (a Before
// func). On failure it sets the status echo is about to write (and log).
func (x *exchange) commit() {
	if x.committed {
		return
	}
	x.committed = true
	if err := x.st.Commit(x.c.Request().Context(), x, &x.s); err != nil {
		x.err = err
		x.res.Status = sessions.ErrorStatus(err)
	}
}

// writer sits under echo's Response. It commits the session should
// anything reach it first (a Flush or Hijack before any write), and turns
// the response into the error answer when the commit failed.
type writer struct {
	http.ResponseWriter
	x     *exchange
	wrote bool // the error answer was written
}

// header commits the session if need be; it reports whether the
// handler's response may pass.
func (w *writer) header() bool {
	w.x.commit()
	w.x.res.Committed = true // so that echo does not write the header twice
	if w.x.err != nil {
		w.fail()
		return false
	}
	return true
}

// fail writes the error answer once, in place of the handler's response.
func (w *writer) fail() {
	if !w.wrote {
		w.wrote = true
		sessions.WriteError(w.ResponseWriter, w.x.err)
	}
}

func (w *writer) WriteHeader(code int) {
	if w.header() {
		w.ResponseWriter.WriteHeader(code)
	}
}

func (w *writer) Write(b []byte) (int, error) {
	if !w.header() {
		return len(b), nil // the error answer was written: drop the body
	}
	return w.ResponseWriter.Write(b)
}

// Flush commits the session and flushes the underlying writer.
func (w *writer) Flush() {
	if w.header() {
		_ = http.NewResponseController(w.ResponseWriter).Flush() // a writer that cannot flush sends at the end
	}
}

// Hijack commits the session, then hijacks the connection (websockets).
func (w *writer) Hijack() (net.Conn, *bufio.ReadWriter, error) {
	if !w.header() {
		return nil, nil, errCommitFailed
	}
	return http.NewResponseController(w.ResponseWriter).Hijack()
}

// Unwrap returns the underlying writer, for http.ResponseController.
func (w *writer) Unwrap() http.ResponseWriter { return w.ResponseWriter }

var errCommitFailed = errors.New("sessionsecho: the session could not be saved; the error answer was written")
