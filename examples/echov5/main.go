// Command echov5 is the gosessions demo app on echo v5
// (github.com/labstack/echo/v5), with the sessionsecho middleware of
// github.com/gosessions/sessions/echov5: the demo contract shared by
// every example (a counter, login, logout, the user's sessions with "log
// out everywhere", and a small key-value API on the session), in either
// transport: cookie mode (the default; the page is rendered on the
// server) or jwt mode (no cookies: the token travels in the Session-Token
// header, and the page is static, its script keeping the token in
// sessionStorage).
//
// Its handlers are written as echo v5's users write them: func(c
// *echo.Context) error, answering with c.JSON and c.Render, and returning
// errors (a session error as it comes, or an *echo.HTTPError) for the
// app's HTTPErrorHandler, func(c *echo.Context, err error), to render as
// {"error":"..."}. echo logs through the program's *slog.Logger, and the
// server runs as echo v5 runs one: echo.StartConfig.Start, until its
// context ends. examples/echo is the same app on echo v4.
//
// Run it from the repository root (the go.work workspace):
//
//	go run ./examples/echov5
//
// or from examples/ with "go run ./echov5", then open the address it logs
// (http://127.0.0.1:8080). It needs no other setup: without REDICT_URL it
// starts an embedded in-memory Redis-protocol server (miniredis). For
// example, against a real server with a fixed key:
//
//	REDICT_URL=redis://127.0.0.1:6379/0 SESSION_SECRET=$(openssl rand -hex 32) go run ./examples/echov5
//
// or in jwt mode:
//
//	SESSION_TRANSPORT=jwt SESSION_JWT_KEY=$(openssl rand -hex 32) go run ./examples/echov5
//
// The configuration (ADDR, REDICT_URL, SESSION_SECRET, SESSION_TRANSPORT,
// SESSION_JWT_KEY, SESSION_IDLE_TIMEOUT, SESSION_ABSOLUTE_TIMEOUT,
// SESSION_COOKIE_SECURE) is the same for every example; examples/nethttp
// lists it. SIGINT or SIGTERM shuts the server down gracefully.
package main

import (
	"context"
	"net"
	"net/http"
	"time"

	"github.com/labstack/echo/v5"

	"github.com/gosessions/sessions/examples/internal/demo"
)

func main() {
	demo.Main("echov5", newServer)
}

// newServer returns the app's server: the echo instance of handlers.go,
// served by echo.StartConfig. demo.Main serves it and shuts it down.
func newServer(app demo.App) (demo.Server, error) {
	ctx, stop := context.WithCancel(context.Background())
	return &server{e: newEcho(app.Store, app.JWT, app.Log), ctx: ctx, stop: stop, served: make(chan struct{})}, nil
}

// server runs e the way an echo v5 app does, with echo.StartConfig.Start,
// which serves until its context ends and then shuts down gracefully:
// Shutdown ends that context and waits for Start to return.
type server struct {
	e      *echo.Echo
	ctx    context.Context // Start's: Shutdown cancels it
	stop   context.CancelFunc
	served chan struct{} // closed when Start has returned
	err    error         // the graceful shutdown's error, once served is closed
}

// Serve serves ln until Shutdown, with timeouts on the http.Server that
// Start creates.
func (s *server) Serve(ln net.Listener) error {
	defer close(s.served)
	sc := echo.StartConfig{
		Listener:   ln,
		HideBanner: true, // demo.Main logs where to open the page
		HidePort:   true,
		BeforeServeFunc: func(srv *http.Server) error {
			srv.ReadHeaderTimeout = 5 * time.Second
			srv.ReadTimeout = 10 * time.Second
			srv.WriteTimeout = 30 * time.Second
			srv.IdleTimeout = 2 * time.Minute
			return nil
		},
		OnShutdownError: func(err error) { s.err = err },
	}
	return sc.Start(s.ctx, s.e)
}

// Shutdown ends Start's context, which stops accepting connections and
// waits for the requests in flight (for echo's GracefulTimeout, 10s),
// and waits for Start to return, until ctx ends.
func (s *server) Shutdown(ctx context.Context) error {
	s.stop()
	select {
	case <-s.served:
		return s.err
	case <-ctx.Done():
		return ctx.Err()
	}
}
