// Command nethttp is the gosessions demo app on plain net/http: it serves
// the demo contract shared by every example (a counter, login, logout, the
// user's sessions with "log out everywhere", and a small key-value API on
// the session), with sessions.Middleware, in either transport: cookie mode
// (the default; the page is rendered on the server) or jwt mode (no
// cookies: the token travels in the Session-Token header, and the page is
// static, its script keeping the token in sessionStorage).
//
// Run it from the repository root (the go.work workspace):
//
//	go run ./examples/nethttp
//
// or from examples/ with "go run ./nethttp", then open the address it logs
// (http://127.0.0.1:8080). It needs no other setup: without REDICT_URL it
// starts an embedded in-memory Redis-protocol server (miniredis). For
// example, against a real server with a fixed key:
//
//	REDICT_URL=redis://127.0.0.1:6379/0 SESSION_SECRET=$(openssl rand -hex 32) go run ./examples/nethttp
//
// or in jwt mode:
//
//	SESSION_TRANSPORT=jwt SESSION_JWT_KEY=$(openssl rand -hex 32) go run ./examples/nethttp
//
// Configuration comes from the environment (read by examples/internal/demo,
// the same for every example):
//
//	ADDR                      listen address (127.0.0.1:8080)
//	REDICT_URL                redis://, rediss://, redict:// or redicts:// URL of
//	                          the store (empty: embedded in-memory server)
//	SESSION_SECRET            cookie key, hex, at least 32 bytes (empty: random,
//	                          so sessions do not survive a restart)
//	SESSION_TRANSPORT         cookie (default) or jwt
//	SESSION_JWT_KEY           jwt mode: HS256 key, hex, exactly 32 bytes (empty:
//	                          random, so tokens do not survive a restart)
//	SESSION_IDLE_TIMEOUT      idle timeout, Go duration (30m)
//	SESSION_ABSOLUTE_TIMEOUT  absolute lifetime, Go duration (24h)
//	SESSION_COOKIE_SECURE     true sets the cookie's Secure attribute (false,
//	                          as the demo runs on plain http)
//
// SIGINT or SIGTERM shuts the server down gracefully.
package main

import (
	"log/slog"
	"net/http"
	"time"

	"github.com/gosessions/sessions/examples/internal/demo"
)

func main() {
	demo.Main("nethttp", newServer)
}

// newServer returns the app's server: the routes of handlers.go in a plain
// http.Server, with timeouts that bound slow clients, logging its own
// errors to the app's log. demo.Main serves it and shuts it down.
func newServer(app demo.App) (demo.Server, error) {
	return &http.Server{
		Handler:           routes(app.Store, app.JWT, app.Log),
		ReadHeaderTimeout: 5 * time.Second,
		ReadTimeout:       10 * time.Second,
		WriteTimeout:      30 * time.Second,
		IdleTimeout:       2 * time.Minute,
		ErrorLog:          slog.NewLogLogger(app.Log.Handler(), slog.LevelWarn),
	}, nil
}
