package main

import (
	"time"

	"github.com/gofiber/fiber/v3"
	"github.com/gofiber/fiber/v3/middleware/recover"
	"github.com/gofiber/fiber/v3/middleware/session"
	"github.com/gofiber/storage/redis/v3"

	"github.com/gosessions/sessions/scripts/bench/internal/peerapp"
)

// newApp returns the fiber v3 app.
func newApp(cfg peerapp.Config) *fiber.App {
	store := session.NewStore(session.Config{
		Storage:         redis.New(redis.Config{URL: cfg.RedisURL}),
		IdleTimeout:     peerapp.IdleTimeout,
		AbsoluteTimeout: 24 * time.Hour,
		CookieHTTPOnly:  true,
		CookieSameSite:  "Lax",
	})
	app := fiber.New(fiber.Config{
		ReadBufferSize: 16 << 10,
		ReadTimeout:    10 * time.Second,
		WriteTimeout:   30 * time.Second,
		IdleTimeout:    2 * time.Minute,
	})
	app.Use(recover.New())
	app.Get("/health", func(c fiber.Ctx) error {
		c.Set(fiber.HeaderContentType, fiber.MIMEApplicationJSON)
		return c.Send(peerapp.HealthBody)
	})
	app.Get("/api/count", func(c fiber.Ctx) error {
		s, err := store.Get(c)
		if err != nil {
			return unavailable(c)
		}
		defer s.Release()
		n, _ := s.Get("count").(int)
		n++
		s.Set("count", n)
		if err := s.Save(); err != nil {
			return unavailable(c)
		}
		return count(c, n)
	})
	app.Get("/api/read", func(c fiber.Ctx) error {
		s, err := store.Get(c)
		if err != nil {
			return unavailable(c)
		}
		defer s.Release()
		n, _ := s.Get("count").(int)
		return count(c, n)
	})
	return app
}

func count(c fiber.Ctx, n int) error {
	c.Set(fiber.HeaderContentType, fiber.MIMEApplicationJSON)
	return c.Send(peerapp.CountBody(int64(n)))
}

func unavailable(c fiber.Ctx) error {
	c.Set(fiber.HeaderContentType, fiber.MIMEApplicationJSON)
	return c.Status(fiber.StatusServiceUnavailable).Send(peerapp.UnavailableBody)
}
