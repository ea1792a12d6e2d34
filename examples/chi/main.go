// Command chi is the gosessions demo app on chi v5
// (github.com/go-chi/chi/v5), with the sessionschi middleware: the demo
// contract shared by every example (a counter, login, logout, the user's
// sessions with "log out everywhere", and a small key-value API on the
// session), in either transport: cookie mode (the default; the page is
// rendered on the server) or jwt mode (no cookies: the token travels in
// the Session-Token header, and the page is static, its script keeping
// the token in sessionStorage).
//
// It is written as chi's users write it: net/http handlers on a chi
// router, with chi's middleware (Logger, Recoverer) and net/http's
// cross-origin protection for the whole router, and the sessions
// middleware on a group of routes (r.Group, r.Route("/api", ...)) that
// holds them all, as the other programs mount it: /health and the
// jwt-mode page never touch the session, so they cost no store command,
// and answer with the same Vary as every program.
//
// Run it from the repository root (the go.work workspace):
//
//	go run ./examples/chi
//
// or from examples/ with "go run ./chi", then open the address it logs
// (http://127.0.0.1:8080). It needs no other setup: without REDICT_URL it
// starts an embedded in-memory Redis-protocol server (miniredis). For
// example, against a real server with a fixed key:
//
//	REDICT_URL=redis://127.0.0.1:6379/0 SESSION_SECRET=$(openssl rand -hex 32) go run ./examples/chi
//
// or in jwt mode:
//
//	SESSION_TRANSPORT=jwt SESSION_JWT_KEY=$(openssl rand -hex 32) go run ./examples/chi
//
// The configuration (ADDR, REDICT_URL, SESSION_SECRET, SESSION_TRANSPORT,
// SESSION_JWT_KEY, SESSION_IDLE_TIMEOUT, SESSION_ABSOLUTE_TIMEOUT,
// SESSION_COOKIE_SECURE) is the same for every example; examples/nethttp
// lists it. SIGINT or SIGTERM shuts the server down gracefully.
package main

import (
	"log/slog"
	"net/http"
	"time"

	"github.com/gosessions/sessions/examples/internal/demo"
)

func main() {
	demo.Main("chi", newServer)
}

// newServer returns the app's server: the chi router of handlers.go in a
// plain http.Server, with timeouts that bound slow clients, logging its
// own errors to the app's log. demo.Main serves it and shuts it down.
func newServer(app demo.App) (demo.Server, error) {
	return &http.Server{
		Handler:           newRouter(app.Store, app.JWT, app.Log),
		ReadHeaderTimeout: 5 * time.Second,
		ReadTimeout:       10 * time.Second,
		WriteTimeout:      30 * time.Second,
		IdleTimeout:       2 * time.Minute,
		ErrorLog:          slog.NewLogLogger(app.Log.Handler(), slog.LevelWarn),
	}, nil
}
