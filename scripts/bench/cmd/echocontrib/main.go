// Command echocontrib is the echo peer: labstack/echo-contrib's session
// middleware (gorilla/sessions) on echo v4 with boj/redistore, the
// gorilla store on Redis that resolves here (rbcervilla/redisstore, the
// go-redis one, is not served by the module proxy). Its pool keeps up to
// 32 idle connections and redistore's TestOnBorrow PING, as in
// cmd/gincontrib; sessions last 30 minutes. The engine has echo's
// Recover, like examples/echo. Configured by ADDR and REDICT_URL.
package main

import (
	"net/http"
	"time"

	"github.com/gosessions/sessions/scripts/bench/internal/peerapp"
)

func main() {
	cfg, err := peerapp.FromEnv()
	if err != nil {
		peerapp.Fatal("echocontrib", err)
	}
	h, err := newHandler(cfg)
	if err != nil {
		peerapp.Fatal("echocontrib", err)
	}
	srv := &http.Server{Addr: cfg.Addr, Handler: h, ReadHeaderTimeout: 5 * time.Second, IdleTimeout: 2 * time.Minute}
	peerapp.ServeWith("echocontrib", cfg, srv.ListenAndServe, srv.Shutdown)
}
