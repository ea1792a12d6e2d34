// Command scs is the net/http peer: alexedwards/scs v2 with its go-redis
// store (goredisstore), configured as the demo contract says (idle timeout
// 30m, lifetime 24h) and mounted with scs's own LoadAndSave middleware.
// Configured by ADDR and REDICT_URL.
//
// scs re-commits a session it loaded on every request once IdleTimeout is
// set (its Load marks the data modified, to push the expiry forward), so
// its /api/read is a GET and a SET.
package main

import (
	"github.com/gosessions/sessions/scripts/bench/internal/peerapp"
	"github.com/gosessions/sessions/scripts/bench/internal/scspeer"
)

func main() {
	cfg, err := peerapp.FromEnv()
	if err != nil {
		peerapp.Fatal("scs", err)
	}
	rdb, err := cfg.Client()
	if err != nil {
		peerapp.Fatal("scs", err)
	}
	peerapp.Serve("scs", cfg, scspeer.NewHandler(rdb))
}
