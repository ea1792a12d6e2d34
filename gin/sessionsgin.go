package sessionsgin

import (
	"github.com/gin-gonic/gin"

	sessions "github.com/gosessions/sessions/core"
)

// Options configures Middleware. The zero value is the default.
type Options struct {
	// ErrorHandler answers a request whose session could not be loaded or
	// saved, in place of the handler's response; it replaces the default
	// entirely. The default aborts the chain (c.Abort), records err with
	// c.Error and answers sessions.ErrorStatus(err) (503 for a store
	// failure, 413 for a session grown too large, 500 otherwise) with the
	// JSON body sessions.ErrorBody(err). A handler of your own should
	// answer too, such as with c.AbortWithStatusJSON.
	ErrorHandler func(c *gin.Context, err error)
}

// Middleware returns gin middleware that attaches the request's session
// (see FromContext; sessions.FromContext(c.Request.Context()) finds it
// too) and saves it before the first byte of the response: c.Writer is
// wrapped so that the first WriteHeader, WriteHeaderNow, Write,
// WriteString, Flush or Hijack commits the session, or, should the commit
// fail, answers through the error handler instead of the handler. A
// request whose handlers write nothing commits when the chain returns.
//
// A handler's error or c.Abort does not undo its session changes: the
// response it answers with (c.AbortWithStatusJSON and the like) commits
// the session like any other. A session error (sessions.IsSessionError)
// that the handlers record with c.Error and answer nothing for is
// answered as a store failure is, through the error handler: by default
// sessions.ErrorStatus(err) and the JSON body sessions.ErrorBody(err).
//
// A handler that panics saves nothing more: its unsaved changes are
// dropped and a Renew not written yet is undone, so that gin.Recovery's
// 500 never commits a half-done request (register gin.Recovery before this
// middleware, as gin.Default does). What Incr, Update or a Store.Save had
// written stays, and when that write created the session or carried its
// Renew, the new cookie goes out with the 500 (the old one is dead).
//
// Changes made after the first byte are saved when the chain returns if
// the session already exists in the store; a session that does not exist
// yet cannot be started then (its cookie or token could no longer be
// sent), so make such changes before writing the response.
func Middleware(st *sessions.Store, opts Options) gin.HandlerFunc {
	onError := opts.ErrorHandler
	if onError == nil {
		onError = defaultErrorHandler
	}
	return func(c *gin.Context) {
		// One allocation holds the session and the writer wrapper; the
		// carrier is c itself.
		ctx := c.Request.Context()
		w := &writer{ResponseWriter: c.Writer, ctx: ctx, c: c, st: st, onError: onError}
		st.LoadInto(ctx, &w.s, (*carrier)(c))
		c.Request = c.Request.WithContext(sessions.NewContext(ctx, &w.s))
		c.Writer = w
		errs := len(c.Errors)
		done := false
		defer func() {
			c.Writer = w.ResponseWriter
			if !done { // a panic: its recovery's answer must not commit
				st.Discard(&w.s)
			}
		}()
		c.Next()
		done = true
		if w.failed {
			return
		}
		// Not committed yet: commit now (gin writes the header after the
		// chain). Committed: save the late changes.
		answered := w.committed
		w.committed = true
		if err := st.Finish(ctx, (*carrier)(c), &w.s); err != nil {
			w.fail(err)
		} else if last := c.Errors.Last(); !answered && len(c.Errors) > errs && sessions.IsSessionError(last.Err) {
			w.fail(last.Err)
		}
	}
}

// FromContext returns the session Middleware attached to c, or nil. The
// methods of a nil *sessions.Session return sessions.ErrNoSession. It is
// sessions.FromContext(c.Request.Context()).
func FromContext(c *gin.Context) *sessions.Session {
	if c == nil || c.Request == nil {
		return nil
	}
	return sessions.FromContext(c.Request.Context())
}

// defaultErrorHandler is the default Options.ErrorHandler.
func defaultErrorHandler(c *gin.Context, err error) {
	c.Abort()
	if last := c.Errors.Last(); last == nil || last.Err != err { // the handler's own error is recorded already
		c.Error(err) //nolint:errcheck // the *gin.Error is for chaining only
	}
	sessions.DefaultErrorHandler(c.Writer, c.Request, err)
}
