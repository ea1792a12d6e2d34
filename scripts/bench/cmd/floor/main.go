// Command floor is the benchmark's floor: the least a Redict-backed
// session can do on net/http. A random id travels in a plain cookie (no
// signature, no encryption); /api/count is GET then SET EX (two round
// trips, not atomic), /api/read one GET, and nothing else: no idle and
// absolute timeouts kept apart, no size limit, no resurrection guard.
// POST /api/login (a new id and the user, one pipelined round trip) and
// POST /api/logout (one DEL) serve the bench's round-trip table.
// Configured by ADDR and REDICT_URL.
package main

import (
	"github.com/gosessions/sessions/scripts/bench/internal/floor"
	"github.com/gosessions/sessions/scripts/bench/internal/peerapp"
)

func main() {
	cfg, err := peerapp.FromEnv()
	if err != nil {
		peerapp.Fatal("floor", err)
	}
	rdb, err := cfg.Client()
	if err != nil {
		peerapp.Fatal("floor", err)
	}
	peerapp.Serve("floor", cfg, floor.NewHandler(rdb))
}
