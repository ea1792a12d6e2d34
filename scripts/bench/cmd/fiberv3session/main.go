// Command fiberv3session is the fiber v3 peer: fiber v3's own session
// store (middleware/session, NewStore + Get/Save, with its idle and
// absolute timeouts) with gofiber/storage/redis (v3, on go-redis) as its
// Storage, on an app configured like examples/fiberv3 (16 KB read buffer,
// fiber's recover). Configured by ADDR and REDICT_URL.
package main

import (
	"context"

	"github.com/gofiber/fiber/v3"

	"github.com/gosessions/sessions/scripts/bench/internal/peerapp"
)

func main() {
	cfg, err := peerapp.FromEnv()
	if err != nil {
		peerapp.Fatal("fiberv3session", err)
	}
	app := newApp(cfg)
	peerapp.ServeWith("fiberv3session", cfg,
		func() error { return app.Listen(cfg.Addr, fiber.ListenConfig{DisableStartupMessage: true}) },
		func(ctx context.Context) error { return app.ShutdownWithContext(ctx) })
}
