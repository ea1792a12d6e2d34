package main

import (
	"errors"
	"net/http"
	"strconv"

	"github.com/boj/redistore"
	"github.com/gorilla/securecookie"
	"github.com/gorilla/sessions"
	"github.com/labstack/echo-contrib/session"
	"github.com/labstack/echo/v4"
	"github.com/labstack/echo/v4/middleware"

	"github.com/gosessions/sessions/scripts/bench/internal/peerapp"
)

// newHandler returns the echo engine, the sessions on the /api group only.
func newHandler(cfg peerapp.Config) (http.Handler, error) {
	store, err := redistore.NewRediStoreWithDB(32, "tcp", cfg.Redis.Addr, cfg.Redis.Username, cfg.Redis.Password,
		strconv.Itoa(cfg.Redis.DB), peerapp.Secret)
	if err != nil {
		return nil, err
	}
	store.SetMaxAge(int(peerapp.IdleTimeout.Seconds()))
	store.Options.HttpOnly = true
	store.Options.SameSite = http.SameSiteLaxMode

	e := echo.New()
	e.HideBanner, e.HidePort = true, true
	e.Use(middleware.Recover())
	e.GET("/health", func(c echo.Context) error {
		return c.JSONBlob(http.StatusOK, peerapp.HealthBody)
	})
	api := e.Group("/api", session.Middleware(store))
	api.GET("/count", func(c echo.Context) error {
		s, ok := load(c)
		if !ok {
			return c.JSONBlob(http.StatusServiceUnavailable, peerapp.UnavailableBody)
		}
		n, _ := s.Values["count"].(int)
		n++
		s.Values["count"] = n
		if err := s.Save(c.Request(), c.Response()); err != nil {
			return c.JSONBlob(http.StatusServiceUnavailable, peerapp.UnavailableBody)
		}
		return c.JSONBlob(http.StatusOK, peerapp.CountBody(int64(n)))
	})
	api.GET("/read", func(c echo.Context) error {
		s, ok := load(c)
		if !ok {
			return c.JSONBlob(http.StatusServiceUnavailable, peerapp.UnavailableBody)
		}
		n, _ := s.Values["count"].(int)
		return c.JSONBlob(http.StatusOK, peerapp.CountBody(int64(n)))
	})
	return e, nil
}

// load returns the request's session. A cookie that does not decode gets
// a fresh session (gorilla returns it with the error); any other error is
// the store's, and not ok.
func load(c echo.Context) (*sessions.Session, bool) {
	s, err := session.Get("session", c)
	var cookieErr securecookie.Error
	if err != nil && !errors.As(err, &cookieErr) {
		return nil, false
	}
	return s, true
}
