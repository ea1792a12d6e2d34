package main

import (
	"net/http"
	"strconv"

	"github.com/gin-contrib/sessions"
	"github.com/gin-contrib/sessions/redis"
	"github.com/gin-gonic/gin"

	"github.com/gosessions/sessions/scripts/bench/internal/peerapp"
)

// newHandler returns the gin engine, the sessions on the /api group only.
func newHandler(cfg peerapp.Config) (http.Handler, error) {
	store, err := redis.NewStoreWithDB(32, "tcp", cfg.Redis.Addr, cfg.Redis.Username, cfg.Redis.Password,
		strconv.Itoa(cfg.Redis.DB), peerapp.Secret)
	if err != nil {
		return nil, err
	}
	store.Options(sessions.Options{Path: "/", MaxAge: int(peerapp.IdleTimeout.Seconds()), HttpOnly: true, SameSite: http.SameSiteLaxMode})

	gin.SetMode(gin.ReleaseMode)
	r := gin.Default()
	r.GET("/health", func(c *gin.Context) {
		c.Data(http.StatusOK, "application/json", peerapp.HealthBody)
	})
	api := r.Group("/api", sessions.Sessions("session", store))
	api.GET("/count", func(c *gin.Context) {
		s := sessions.Default(c)
		n, _ := s.Get("count").(int)
		n++
		s.Set("count", n)
		if err := s.Save(); err != nil {
			c.Data(http.StatusServiceUnavailable, "application/json", peerapp.UnavailableBody)
			return
		}
		c.Data(http.StatusOK, "application/json", peerapp.CountBody(int64(n)))
	})
	api.GET("/read", func(c *gin.Context) {
		n, _ := sessions.Default(c).Get("count").(int)
		c.Data(http.StatusOK, "application/json", peerapp.CountBody(int64(n)))
	})
	return r, nil
}
