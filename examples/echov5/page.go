package main

import (
	"net/http"

	"github.com/labstack/echo/v5"

	sessions "github.com/gosessions/sessions/core"
	sessionsecho "github.com/gosessions/sessions/echov5"
	"github.com/gosessions/sessions/examples/internal/demo"
)

// framework names this program on its page.
const framework = "echo v5"

// staticPage is the jwt-mode page, and outagePage the cookie-mode page
// when the store is down (see errorHandler), each rendered once.
var (
	staticPage = demo.StaticPage(framework)
	outagePage = demo.OutagePage(framework)
)

// page renders the cookie-mode page (demo.PageTemplate, which newEcho
// registers as the Renderer) with what demo.ReadPage reads: the session's
// count, its user and the user's sessions. Like /api/read it only reads:
// a visitor without a session gets none. c.Render renders into a buffer
// first, so a template error cannot leave half a page.
func page(store *sessions.Store) echo.HandlerFunc {
	return func(c *echo.Context) error {
		d, err := demo.ReadPage(c.Request().Context(), store, sessionsecho.FromContext(c), framework)
		if err != nil {
			return err
		}
		c.Response().Header().Set(echo.HeaderCacheControl, "no-store") // the page shows session data
		return c.Render(http.StatusOK, "page.html", d)
	}
}

// static serves the jwt-mode page (demo.StaticPage). It never touches the
// session: the page holds no session data, and its script fetches what it
// shows.
func static(c *echo.Context) error {
	// One address serves either mode's page: have the browser check.
	c.Response().Header().Set(echo.HeaderCacheControl, "no-cache")
	return c.HTMLBlob(http.StatusOK, staticPage)
}
