// Command fibersession is the fiber peer: fiber v2's own session
// middleware (middleware/session) with gofiber/storage/redis (v3, on
// go-redis) as its Storage, on an app configured like examples/fiber
// (16 KB read buffer, fiber's recover). Sessions expire 30 minutes after
// their last Save; fiber keeps no absolute lifetime, and a read does not
// push the expiry. Configured by ADDR and REDICT_URL.
package main

import (
	"context"

	"github.com/gosessions/sessions/scripts/bench/internal/peerapp"
)

func main() {
	cfg, err := peerapp.FromEnv()
	if err != nil {
		peerapp.Fatal("fibersession", err)
	}
	app := newApp(cfg)
	peerapp.ServeWith("fibersession", cfg, func() error { return app.Listen(cfg.Addr) },
		func(ctx context.Context) error { return app.ShutdownWithContext(ctx) })
}
