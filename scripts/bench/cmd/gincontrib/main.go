// Command gincontrib is the gin peer: gin-contrib/sessions with its redis
// store (boj/redistore on redigo, as gin-contrib's README shows it) on
// gin.Default's engine in release mode, like examples/gin. The store's
// pool keeps up to 32 idle connections (one per simulated user; the
// README's 10 would close and re-dial connections under the load) and
// keeps redistore's TestOnBorrow, which sends a PING each time a
// connection is taken from the pool. Sessions last 30 minutes (MaxAge,
// written on each Save). Configured by ADDR and REDICT_URL.
package main

import (
	"net/http"
	"time"

	"github.com/gosessions/sessions/scripts/bench/internal/peerapp"
)

func main() {
	cfg, err := peerapp.FromEnv()
	if err != nil {
		peerapp.Fatal("gincontrib", err)
	}
	h, err := newHandler(cfg)
	if err != nil {
		peerapp.Fatal("gincontrib", err)
	}
	srv := &http.Server{Addr: cfg.Addr, Handler: h, ReadHeaderTimeout: 5 * time.Second, IdleTimeout: 2 * time.Minute}
	peerapp.ServeWith("gincontrib", cfg, srv.ListenAndServe, srv.Shutdown)
}
