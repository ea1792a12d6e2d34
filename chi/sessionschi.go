package sessionschi

import (
	"context"
	"net/http"

	sessions "github.com/gosessions/sessions/core"
)

// Options configures Middleware. The zero value is the default; it mirrors
// sessions.MiddlewareOptions.
type Options struct {
	// ErrorHandler answers a request whose session could not be loaded or
	// saved, in place of the handler's response. The default,
	// sessions.DefaultErrorHandler, answers sessions.ErrorStatus(err) (503
	// for a store failure, 413 for a session grown too large, 500
	// otherwise) with the JSON body sessions.ErrorBody(err).
	ErrorHandler func(w http.ResponseWriter, r *http.Request, err error)
}

// Middleware returns chi middleware (for r.Use, r.With, or a group's Use)
// that attaches the request's session (see FromContext) and saves it
// before the first byte of the response. It is the core's
// sessions.Middleware: chi handlers are net/http handlers, so the
// response writer is wrapped the same way (WriteHeader, Write, Flush,
// ReadFrom and Hijack commit the session; Unwrap serves
// http.ResponseController).
//
// Mount it only on the routes that use sessions (a r.Group or r.Route):
// the others then never read the cookie or reach the store.
func Middleware(st *sessions.Store, opts Options) func(http.Handler) http.Handler {
	return sessions.Middleware(st, sessions.MiddlewareOptions{ErrorHandler: opts.ErrorHandler})
}

// FromContext returns the session Middleware attached to ctx (a request's
// r.Context()), or nil. The methods of a nil *sessions.Session return
// sessions.ErrNoSession. It is sessions.FromContext.
func FromContext(ctx context.Context) *sessions.Session {
	return sessions.FromContext(ctx)
}
