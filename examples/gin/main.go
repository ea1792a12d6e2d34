// Command gin is the gosessions demo app on gin
// (github.com/gin-gonic/gin), with the sessionsgin middleware: the demo
// contract shared by every example (a counter, login, logout, the user's
// sessions with "log out everywhere", and a small key-value API on the
// session), in either transport: cookie mode (the default; the page is
// rendered on the server) or jwt mode (no cookies: the token travels in
// the Session-Token header, and the page is static, its script keeping
// the token in sessionStorage).
//
// Its handlers are written as gin's users write them: func(c
// *gin.Context), on gin.Default's engine (its Recovery before the
// sessions), answering with c.JSON and c.HTML (page.html loaded by gin's
// LoadHTMLFS), and c.AbortWithStatusJSON with {"error":"..."} when they
// fail. gin runs in release mode unless GIN_MODE says otherwise
// (GIN_MODE=debug lists the routes at start-up).
//
// Run it from the repository root (the go.work workspace):
//
//	go run ./examples/gin
//
// or from examples/ with "go run ./gin", then open the address it logs
// (http://127.0.0.1:8080). It needs no other setup: without REDICT_URL it
// starts an embedded in-memory Redis-protocol server (miniredis). For
// example, against a real server with a fixed key:
//
//	REDICT_URL=redis://127.0.0.1:6379/0 SESSION_SECRET=$(openssl rand -hex 32) go run ./examples/gin
//
// or in jwt mode:
//
//	SESSION_TRANSPORT=jwt SESSION_JWT_KEY=$(openssl rand -hex 32) go run ./examples/gin
//
// The configuration (ADDR, REDICT_URL, SESSION_SECRET, SESSION_TRANSPORT,
// SESSION_JWT_KEY, SESSION_IDLE_TIMEOUT, SESSION_ABSOLUTE_TIMEOUT,
// SESSION_COOKIE_SECURE) is the same for every example; examples/nethttp
// lists it. SIGINT or SIGTERM shuts the server down gracefully.
package main

import (
	"log/slog"
	"net/http"
	"os"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/gosessions/sessions/examples/internal/demo"
)

func main() {
	if os.Getenv(gin.EnvGinMode) == "" {
		gin.SetMode(gin.ReleaseMode)
	}
	demo.Main("gin", newServer)
}

// newServer returns the app's server: the gin engine of handlers.go in an
// http.Server (as gin's graceful-shutdown example has it), with timeouts
// that bound slow clients, logging its own errors to the app's log.
// demo.Main serves it and shuts it down.
func newServer(app demo.App) (demo.Server, error) {
	r, err := newEngine(app.Store, app.JWT)
	if err != nil {
		return nil, err
	}
	return &http.Server{
		Handler:           r,
		ReadHeaderTimeout: 5 * time.Second,
		ReadTimeout:       10 * time.Second,
		WriteTimeout:      30 * time.Second,
		IdleTimeout:       2 * time.Minute,
		ErrorLog:          slog.NewLogLogger(app.Log.Handler(), slog.LevelWarn),
	}, nil
}
