package main

import (
	"net/http"

	"github.com/labstack/echo/v4"

	sessions "github.com/gosessions/sessions/core"
	sessionsecho "github.com/gosessions/sessions/echo"
	"github.com/gosessions/sessions/examples/internal/demo"
)

// framework names this program on its page.
const framework = "echo"

// staticPage is the jwt-mode page, rendered once.
var staticPage = demo.StaticPage(framework)

// page renders the cookie-mode page (demo.PageTemplate, which newEcho
// registers as e.Renderer) with the session's count and user. Like
// /api/read it only reads: a visitor without a session gets none.
// c.Render renders into a buffer first, so a template error cannot leave
// half a page.
func page(c echo.Context) error {
	s := sessionsecho.FromContext(c)
	d := demo.PageData{Framework: framework}
	var err error
	if d.Count, _, err = sessions.Get[int](s, "count"); err != nil {
		return err
	}
	if d.User, _, err = sessions.Get[string](s, "user"); err != nil {
		return err
	}
	c.Response().Header().Set(echo.HeaderCacheControl, "no-store") // the page shows session data
	return c.Render(http.StatusOK, "page.html", d)
}

// static serves the jwt-mode page (demo.StaticPage). It never touches the
// session: the page holds no session data, and its script fetches what it
// shows.
func static(c echo.Context) error {
	// One address serves either mode's page: have the browser check.
	c.Response().Header().Set(echo.HeaderCacheControl, "no-cache")
	return c.HTMLBlob(http.StatusOK, staticPage)
}
