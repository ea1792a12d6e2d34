package sessionsfiber

import (
	"github.com/gofiber/fiber/v2"

	sessions "github.com/gosessions/sessions/core"
)

// localsKey is the c.Locals key of the request's session.
type localsKey struct{}

// Config configures New. The zero value is the default.
type Config struct {
	// ErrorHandler answers a request whose session could not be loaded
	// or saved, in place of the handler's response and error (its body
	// and content headers are dropped first; its cookies stay). err wraps the
	// sessions sentinels (errors.Is(err, sessions.ErrUnavailable)).
	// What it returns, New returns, for the app's fiber ErrorHandler.
	//
	// It also answers a session error the handler returned
	// (sessions.IsSessionError), the handler's changes saved.
	//
	// The default, DefaultErrorHandler, answers itself with a JSON body,
	// as every gosessions integration does. ReturnFiberError leaves the
	// answer to the app's fiber.Config.ErrorHandler instead.
	ErrorHandler func(c *fiber.Ctx, err error) error
}

// New returns fiber middleware that attaches the request's session (see
// FromContext) and commits it once the rest of the handler chain has
// returned, before fiber writes the response. The config is optional;
// New(store) is New(store, Config{}).
//
// A handler's error does not undo its session changes: the session is
// committed, and the error is returned for the app's ErrorHandler to
// answer, but for a session error (sessions.IsSessionError: errors.Is,
// through any wrapping), which Config.ErrorHandler answers as it answers
// a store failure. A panic, for a recover middleware mounted before this
// one to answer, saves nothing more: the unsaved changes are dropped and
// a Renew not written yet is undone; what Incr, Update or a Store.Save
// wrote stays, and when that write created the session or carried its
// Renew, its new cookie goes out with the recover's answer.
func New(store *sessions.Store, config ...Config) fiber.Handler {
	var cfg Config
	if len(config) > 0 {
		cfg = config[0]
	}
	onError := cfg.ErrorHandler
	if onError == nil {
		onError = DefaultErrorHandler
	}
	return func(c *fiber.Ctx) error {
		ctx := c.UserContext()
		x := &exchange{c: c}
		s := &x.s
		store.LoadInto(ctx, s, x)
		c.Locals(localsKey{}, s)
		c.SetUserContext(sessions.NewContext(ctx, s))

		done := false
		defer func() {
			if !done {
				// A panic: whoever recovers it must not commit a
				// half-done request.
				store.Discard(s)
			}
		}()
		err := c.Next()
		done = true

		if serr := store.Commit(ctx, x, s); serr != nil {
			err = serr
		} else if !sessions.IsSessionError(err) {
			return err
		}
		dropResponse(c)
		return onError(c, err)
	}
}

// FromContext returns the request's session, or nil outside New's
// middleware (the methods of a nil *sessions.Session return
// sessions.ErrNoSession). sessions.FromContext(c.UserContext()) returns
// the same session, for code that takes a context.Context.
//
// For users of fiber's session middleware: FromContext is store.Get(c)
// without its error (the session loads on first use; a store failure
// comes from the method that used it, and the middleware answers 503),
// and there is no sess.Save(): the middleware saves after the handler.
// sess.Regenerate() is s.Renew(), sess.Destroy() is s.Destroy(), and
// sess.Get(k) is sessions.Get[T](s, k).
func FromContext(c *fiber.Ctx) *sessions.Session {
	s, _ := c.Locals(localsKey{}).(*sessions.Session)
	return s
}

// DefaultErrorHandler answers with status sessions.ErrorStatus(err) and
// body sessions.ErrorBody(err) (Content-Type application/json,
// Cache-Control no-store), the bytes every gosessions integration sends.
// It returns nil: the answer is complete.
func DefaultErrorHandler(c *fiber.Ctx, err error) error {
	c.Set(fiber.HeaderContentType, fiber.MIMEApplicationJSON)
	c.Set(fiber.HeaderCacheControl, "no-store")
	return c.Status(sessions.ErrorStatus(err)).SendString(sessions.ErrorBody(err))
}

// ReturnFiberError is a Config.ErrorHandler that leaves the answer to the
// app's fiber.Config.ErrorHandler: it returns a *fiber.Error with status
// sessions.ErrorStatus(err) and message sessions.ErrorMessage(err)
// ("session store unavailable", ...). (fiber's own default
// ErrorHandler renders it as text/plain.)
func ReturnFiberError(_ *fiber.Ctx, err error) error {
	return fiber.NewError(sessions.ErrorStatus(err), sessions.ErrorMessage(err))
}

// dropResponse drops the handler's body and the headers that describe
// it, before the error handler answers instead. (Set-Cookie stays: a
// token an explicit Save wrote earlier is still valid.)
func dropResponse(c *fiber.Ctx) {
	c.Response().ResetBody()
	for _, k := range discardOnError {
		c.Response().Header.Del(k)
	}
}

// discardOnError lists the response headers the handler may have set that
// the error handler's answer must not inherit (as the core's Middleware;
// fasthttp manages Content-Length and Transfer-Encoding itself).
var discardOnError = []string{
	fiber.HeaderContentType, fiber.HeaderContentEncoding, fiber.HeaderContentRange,
	fiber.HeaderContentDisposition, fiber.HeaderTrailer, fiber.HeaderETag,
	fiber.HeaderLastModified, fiber.HeaderLocation, fiber.HeaderAcceptRanges,
	fiber.HeaderCacheControl, fiber.HeaderExpires,
}
