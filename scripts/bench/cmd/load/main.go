// Command load runs the benchmark's load generator against one endpoint
// of a server on the loopback interface and prints req/s and latencies:
//
//	go run ./cmd/load -url http://127.0.0.1:8080/api/read -users 32 -d 3s
//
// Each simulated user has its own cookie jar. With -setup (the default
// /api/count on the same host), every user first sends one request there,
// so that it holds a session before the measured run; -warmup runs the
// load unmeasured first.
package main

import (
	"context"
	"flag"
	"fmt"
	"log"
	"net/url"
	"time"

	"github.com/gosessions/sessions/scripts/bench/load"
)

func main() {
	target := flag.String("url", "http://127.0.0.1:8080/api/read", "endpoint to load (loopback only)")
	users := flag.Int("users", 32, "simulated users, each with its own cookie jar")
	d := flag.Duration("d", 3*time.Second, "measured run")
	warmup := flag.Duration("warmup", 500*time.Millisecond, "unmeasured run first")
	limit := flag.Int64("max", 1_000_000, "at most this many requests in the measured run")
	setup := flag.String("setup", "/api/count", "path each user requests once first (empty: none)")
	flag.Parse()

	ctx := context.Background()
	us := load.NewUsers(*users)
	if *setup != "" {
		u, err := url.Parse(*target)
		if err != nil {
			log.Fatal(err)
		}
		u.Path, u.RawQuery = *setup, ""
		if err := load.Loopback(u.String()); err != nil {
			log.Fatal(err)
		}
		for _, user := range us {
			if _, err := user.Get(ctx, u.String()); err != nil {
				log.Fatal(err)
			}
		}
	}
	if *warmup > 0 {
		if _, err := load.Run(ctx, us, *target, *warmup, *limit); err != nil {
			log.Fatal(err)
		}
	}
	r, err := load.Run(ctx, us, *target, *d, *limit)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Printf("%s: %d users, %.0f req/s, p50 %v, p99 %v, %d answered, %d failed\n",
		*target, *users, r.PerSecond(), r.P50, r.P99, r.Requests, r.Failures)
	if r.Failure != "" {
		fmt.Printf("first failure: %s\n", r.Failure)
	}
}
