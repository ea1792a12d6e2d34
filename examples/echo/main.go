// Command echo is the gosessions demo app on echo v4
// (github.com/labstack/echo/v4), with the sessionsecho middleware: the
// demo contract shared by every example (a counter, login, logout, the
// user's sessions with "log out everywhere", and a small key-value API on
// the session), in either transport: cookie mode (the default; the page
// is rendered on the server) or jwt mode (no cookies: the token travels
// in the Session-Token header, and the page is static, its script keeping
// the token in sessionStorage).
//
// Its handlers are written as echo's users write them: func(c
// echo.Context) error, answering with c.JSON and c.Render, and returning
// errors (a session error as it comes, or an *echo.HTTPError) for the
// app's HTTPErrorHandler to render as {"error":"..."}.
//
// Run it from the repository root (the go.work workspace):
//
//	go run ./examples/echo
//
// or from examples/ with "go run ./echo", then open the address it logs
// (http://127.0.0.1:8080). It needs no other setup: without REDICT_URL it
// starts an embedded in-memory Redis-protocol server (miniredis). For
// example, against a real server with a fixed key:
//
//	REDICT_URL=redis://127.0.0.1:6379/0 SESSION_SECRET=$(openssl rand -hex 32) go run ./examples/echo
//
// or in jwt mode:
//
//	SESSION_TRANSPORT=jwt SESSION_JWT_KEY=$(openssl rand -hex 32) go run ./examples/echo
//
// The configuration (ADDR, REDICT_URL, SESSION_SECRET, SESSION_TRANSPORT,
// SESSION_JWT_KEY, SESSION_IDLE_TIMEOUT, SESSION_ABSOLUTE_TIMEOUT,
// SESSION_COOKIE_SECURE) is the same for every example; examples/nethttp
// lists it. SIGINT or SIGTERM shuts the server down gracefully.
package main

import (
	"net"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/gosessions/sessions/examples/internal/demo"
)

func main() {
	demo.Main("echo", newServer)
}

// newServer returns the app's server: the echo instance of handlers.go,
// with timeouts on the http.Server echo keeps in e.Server. demo.Main
// serves it and shuts it down.
func newServer(app demo.App) (demo.Server, error) {
	e := newEcho(app.Store, app.JWT, app.Log)
	e.HideBanner = true // demo.Main logs where to open the page
	e.HidePort = true
	e.Server.ReadHeaderTimeout = 5 * time.Second
	e.Server.ReadTimeout = 10 * time.Second
	e.Server.WriteTimeout = 30 * time.Second
	e.Server.IdleTimeout = 2 * time.Minute
	return server{e}, nil
}

// server runs e the way an echo app does, with e.Start and e.Shutdown, on
// the listener demo.Main opened (echo serves e.Listener when it is set).
type server struct{ *echo.Echo }

// Serve serves ln until Shutdown.
func (s server) Serve(ln net.Listener) error {
	s.Listener = ln
	return s.Start("")
}
