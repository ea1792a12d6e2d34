// Command fiberv3 is the gosessions demo app on fiber v3
// (github.com/gofiber/fiber/v3), with the sessionsfiber middleware of
// github.com/gosessions/sessions/fiberv3: the demo contract shared by
// every example (a counter, login, logout, the user's sessions with "log
// out everywhere", and a small key-value API on the session), in either
// transport: cookie mode (the default; the page is rendered on the
// server) or jwt mode (no cookies: the token travels in the Session-Token
// header, and the page is static, its script keeping the token in
// sessionStorage).
//
// Its handlers are written as fiber v3's users write them: func(c
// fiber.Ctx) error, binding the login form with c.Bind().Body, passing
// c.Context() to the store, answering with c.JSON and c.Render, and
// returning errors (a session error as it comes, or a *fiber.Error) for
// the app's fiber.Config.ErrorHandler to render as {"error":"..."}.
// fiber.Config also raises ReadBufferSize to 16 KB: fasthttp's default of
// 4 KB answers 431 to a request carrying a few large cookies.
// examples/fiber is the same app on fiber v2.
//
// Run it from the repository root (the go.work workspace):
//
//	go run ./examples/fiberv3
//
// or from examples/ with "go run ./fiberv3", then open the address it logs
// (http://127.0.0.1:8080). It needs no other setup: without REDICT_URL it
// starts an embedded in-memory Redis-protocol server (miniredis). For
// example, against a real server with a fixed key:
//
//	REDICT_URL=redis://127.0.0.1:6379/0 SESSION_SECRET=$(openssl rand -hex 32) go run ./examples/fiberv3
//
// or in jwt mode:
//
//	SESSION_TRANSPORT=jwt SESSION_JWT_KEY=$(openssl rand -hex 32) go run ./examples/fiberv3
//
// The configuration (ADDR, REDICT_URL, SESSION_SECRET, SESSION_TRANSPORT,
// SESSION_JWT_KEY, SESSION_IDLE_TIMEOUT, SESSION_ABSOLUTE_TIMEOUT,
// SESSION_COOKIE_SECURE) is the same for every example; examples/nethttp
// lists it. SIGINT or SIGTERM shuts the server down gracefully.
package main

import (
	"context"
	"net"

	"github.com/gofiber/fiber/v3"

	"github.com/gosessions/sessions/examples/internal/demo"
)

func main() {
	demo.Main("fiberv3", newServer)
}

// newServer returns the app's server: the fiber app of handlers.go.
// demo.Main serves it and shuts it down.
func newServer(app demo.App) (demo.Server, error) {
	return server{newApp(app.Store, app.JWT, app.Log)}, nil
}

// server runs a fiber app as demo.Main drives a server: fiber serves a
// listener with app.Listener and stops with app.ShutdownWithContext.
type server struct{ *fiber.App }

// Serve serves ln until Shutdown, without fiber's startup message
// (demo.Main logs where to open the page).
func (s server) Serve(ln net.Listener) error {
	return s.Listener(ln, fiber.ListenConfig{DisableStartupMessage: true})
}

// Shutdown stops accepting connections and waits for the requests in
// flight, until ctx ends.
func (s server) Shutdown(ctx context.Context) error { return s.ShutdownWithContext(ctx) }
