// Command peers runs the peer benchmark: every server it is given
// against one redis-server, interleaved over rounds (A B C ..., then
// ... C B A, and so on) so that drift on a shared machine cancels out,
// and prints one table of medians with ratios to the floor and to each
// framework's peer, plus an SVG chart of req/s relative to the floor.
//
// scripts/bench.sh peers builds the servers and runs it; by hand:
//
//	peers -own-redis -redis redis://127.0.0.1:PORT/0 \
//	    -server floor,floor,,/tmp/bin/floor -server scs,peer,,/tmp/bin/scs \
//	    -server nethttp,ours,scs,/tmp/bin/nethttp ...
//
// Each -server is name,kind,peer,binary: kind is floor (exactly one),
// peer or ours; peer names the server a program is compared with. Every
// server takes ADDR and REDICT_URL (and ours SESSION_SECRET) from the
// environment, and serves /health, /api/count and /api/read (ours and
// the floor also POST /api/login and /api/logout).
//
// -delay D is the network profile: every server's store connection goes
// through a proxy (package wire) that holds each chunk of the store's
// replies for D, as a store a network away would; 0, the default, is
// loopback. The load generator and the driver's own client never go
// through it.
//
// -combine A.json,B.json does no run: it reads the -json of runs of
// several profiles, draws them into one chart (-svg) and prints their
// figures side by side.
//
// The run, in three steps:
//
//  1. Round trips, one server at a time, with the server's REDICT_URL
//     pointing at a counting TCP proxy (package wire; with -delay, also
//     delaying), so that on loopback the proxy's own cost is kept out of
//     the req/s. Besides /api/count and /api/read it counts the steps
//     users wait on: a login from a session, the logout after it, and a
//     read after a change elsewhere (a second instance of the program
//     counts, then this one reads: a LocalCache must have dropped the
//     record). This pass also checks each server against the contract
//     (/health touches nothing, a read without a session creates
//     nothing, counts go 1, 2 and read 2, a read after a logout or after
//     a change elsewhere shows it) and reports what does not hold.
//  2. Every server is started, server i on database i (flushed first:
//     the driver owns the redis-server, -own-redis), through a delaying
//     proxy of its own with -delay, and stays up for the rounds. Each simulated user (its own cookie jar) sends one
//     /api/count; MEMORY USAGE summed over the keys of the server's
//     database, divided by the users, is the memory per session.
//     Then each endpoint gets an unmeasured run (-first-warmup).
//  3. The rounds: /api/count on each server in turn, then /api/read on
//     each, every run a short warm-up, INFO, the measured run, INFO.
//     req/s and latencies come from the load generator, commands per
//     request from INFO commandstats (commands run inside scripts
//     included), Redict CPU from INFO cpu (user + sys). Idle servers
//     wait; only one is under load at a time.
//
// Many short rounds rather than a few long ones: on a machine shared with
// other work the load changes over seconds, and a round (all servers'
// runs of one endpoint within a few seconds) sees about the same load
// for every server. Ratios are taken within a round (to the floor's and
// the peer's runs of the same round) and their median over the rounds
// reported.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"log"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/gosessions/sessions/scripts/bench/load"
)

// spec is one server to run.
type spec struct {
	Name string   // as shown in the table
	Kind string   // floor, peer or ours
	Peer string   // ours: the name of the framework's peer
	Bin  string   // the binary
	Env  []string // NAME=VALUE pairs added to its environment
}

// config is the run's configuration.
type config struct {
	redisURL    string
	rounds      int
	users       int
	duration    time.Duration
	warmup      time.Duration
	firstWarmup time.Duration
	wireRun     time.Duration
	delay       time.Duration // the profile: 0 is loopback, else each reply held this long
	max         int64
	secret      string // SESSION_SECRET of our programs, random per run
	svg         string
	jsonOut     string
	logs        string
	servers     []spec
}

func main() {
	log.SetFlags(0)
	log.SetPrefix("peers: ")
	cfg := config{secret: newSecret()}
	var own bool
	var combined string
	flag.StringVar(&cfg.redisURL, "redis", os.Getenv("REDICT_URL"), "the redis-server to use (loopback; flushed: see -own-redis)")
	flag.BoolVar(&own, "own-redis", false, "the server is this run's own: it may FLUSHDB between servers (required)")
	flag.IntVar(&cfg.rounds, "rounds", 12, "rounds (at least 3); odd rounds run the servers in reverse")
	flag.IntVar(&cfg.users, "users", 32, "simulated users, each with its own cookie jar")
	flag.DurationVar(&cfg.duration, "d", 400*time.Millisecond, "each measured run")
	flag.DurationVar(&cfg.warmup, "warmup", 50*time.Millisecond, "the unmeasured run before each measured one")
	flag.DurationVar(&cfg.firstWarmup, "first-warmup", 500*time.Millisecond, "each endpoint's unmeasured run when a server has started")
	flag.DurationVar(&cfg.delay, "delay", 0, "the network profile: hold each chunk of the store's replies this long (0: loopback), every server's store connection through a delaying proxy")
	flag.DurationVar(&cfg.wireRun, "wire", 500*time.Millisecond, "each run of the round-trip pass")
	flag.Int64Var(&cfg.max, "max", 1_000_000, "at most this many requests in one run")
	flag.StringVar(&cfg.svg, "svg", "scripts/bench/peers.svg", "where to write the chart")
	flag.StringVar(&cfg.jsonOut, "json", "", "where to write every round's numbers as JSON (empty: nowhere)")
	flag.StringVar(&cfg.logs, "logs", os.TempDir(), "directory for the servers' output (NAME.log)")
	flag.Func("server", "name,kind,peer,binary[,NAME=VALUE...] (repeat; kind is floor, peer or ours; the NAME=VALUE pairs are added to its environment)", func(v string) error {
		f := strings.Split(v, ",")
		if len(f) < 4 || f[0] == "" || f[3] == "" {
			return errors.New("want name,kind,peer,binary[,NAME=VALUE...]")
		}
		for _, kv := range f[4:] {
			if !strings.Contains(kv, "=") {
				return fmt.Errorf("%q: want NAME=VALUE", kv)
			}
		}
		switch f[1] {
		case "floor", "peer", "ours":
		default:
			return fmt.Errorf("kind %q: want floor, peer or ours", f[1])
		}
		cfg.servers = append(cfg.servers, spec{Name: f[0], Kind: f[1], Peer: f[2], Bin: f[3], Env: f[4:]})
		return nil
	})
	flag.StringVar(&combined, "combine", "", "FILE,FILE...: instead of a run, read runs' -json files (one per profile), write their chart to -svg and print their figures side by side")
	flag.Parse()
	if combined != "" {
		if err := combine(strings.Split(combined, ","), cfg.svg); err != nil {
			log.Fatal(err)
		}
		return
	}
	if err := cfg.check(own); err != nil {
		log.Fatal(err)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, cfg); err != nil {
		log.Fatal(err)
	}
}

func (cfg config) check(own bool) error {
	if !own {
		return errors.New("-own-redis is required: the run flushes the database between servers, so give it a redis-server of its own (scripts/bench.sh peers starts one)")
	}
	if cfg.redisURL == "" {
		return errors.New("-redis (or REDICT_URL) is required")
	}
	opts, err := redis.ParseURL(cfg.redisURL)
	if err != nil {
		return fmt.Errorf("-redis: %w", err)
	}
	if err := load.Loopback("redis://" + opts.Addr); err != nil {
		return err
	}
	if cfg.rounds < 3 {
		return errors.New("-rounds: at least 3, so that drift cancels")
	}
	if cfg.users < 1 || cfg.duration <= 0 || cfg.warmup < 0 || cfg.wireRun <= 0 {
		return errors.New("-users, -d and -wire must be positive")
	}
	if cfg.delay < 0 || cfg.delay > 50*time.Millisecond {
		return errors.New("-delay: from 0 (loopback) to 50ms")
	}
	floors := 0
	names := map[string]bool{}
	for _, s := range cfg.servers {
		if names[s.Name] {
			return fmt.Errorf("server %s given twice", s.Name)
		}
		names[s.Name] = true
		if s.Kind == "floor" {
			floors++
		}
	}
	if floors != 1 {
		return errors.New("exactly one server of kind floor is needed")
	}
	for _, s := range cfg.servers {
		if s.Peer != "" && !names[s.Peer] {
			return fmt.Errorf("server %s: its peer %s is not in the run", s.Name, s.Peer)
		}
	}
	return nil
}

func run(ctx context.Context, cfg config) error {
	admin, err := newAdmin(cfg.redisURL)
	if err != nil {
		return err
	}
	defer func() { _ = admin.Close() }() // the driver's own pool, at the end
	start := time.Now()
	results := make(map[string]*serverResult, len(cfg.servers))
	for _, s := range cfg.servers {
		results[s.Name] = &serverResult{Spec: s}
	}
	machine := describeMachine(ctx, admin)
	log.Printf("%s; profile: %s", machine.Before, cfg.profile())

	log.Printf("round trips, login, logout, a read after a change elsewhere and contract checks, through the counting proxy")
	for _, s := range cfg.servers {
		t0 := time.Now()
		w, err := wirePass(ctx, cfg, admin, s)
		if err != nil {
			return fmt.Errorf("%s: %w", s.Name, err)
		}
		results[s.Name].Wire = w
		log.Printf("  %-13s round trips: count %.2f, read %.2f, login %s, logout %s, read after a change elsewhere %.2f (%.1fs)", s.Name,
			w.CountRoundTrips, w.ReadRoundTrips, optRT(w.LoginRoundTrips, w.Login), optRT(w.LogoutRoundTrips, w.Login),
			w.AfterChangeRoundTrips, time.Since(t0).Seconds())
	}

	log.Printf("starting every server, each on a database of its own")
	all, err := startAll(ctx, cfg, admin)
	if err != nil {
		return err
	}
	defer func() { _ = stopAll(all) }() // on an error; holds are for the report
	for round := range cfg.rounds {
		order := append([]*live(nil), all...)
		if round%2 == 1 {
			for i, j := 0, len(order)-1; i < j; i, j = i+1, j-1 {
				order[i], order[j] = order[j], order[i]
			}
		}
		t0 := time.Now()
		visits := make([]visit, len(order))
		for _, ep := range []string{"/api/count", "/api/read"} {
			for i, l := range order {
				e, err := measure(ctx, cfg, admin, l.users, l.proc.base+ep, l.proc.cmd.Process.Pid)
				if err != nil {
					return fmt.Errorf("%s, round %d: %w (its output: %s)", l.spec.Name, round+1, err, l.proc.log.Name())
				}
				visits[i].Round, visits[i].Users, visits[i].Memory = round, cfg.users, l.memory
				if ep == "/api/count" {
					visits[i].Count = e
				} else {
					visits[i].Read = e
				}
			}
		}
		var line []string
		for i, l := range order {
			results[l.spec.Name].Visits = append(results[l.spec.Name].Visits, visits[i])
			line = append(line, fmt.Sprintf("%s %.0f/%.0f", l.spec.Name, visits[i].Count.Load.PerSecond(), visits[i].Read.Load.PerSecond()))
		}
		log.Printf("round %d of %d (%.1fs), count/read req/s: %s", round+1, cfg.rounds, time.Since(t0).Seconds(), strings.Join(line, ", "))
	}
	holds := stopAll(all)
	all = nil
	machine.after(ctx, time.Since(start))

	rep := newReport(cfg, machine, results)
	rep.holds = holds
	fmt.Print(rep.markdown())
	if cfg.svg != "" {
		if err := os.WriteFile(cfg.svg, []byte(rep.svg()), 0o644); err != nil {
			return err
		}
		log.Printf("chart: %s", cfg.svg)
	}
	if cfg.jsonOut != "" {
		if err := rep.writeJSON(cfg.jsonOut); err != nil {
			return err
		}
		log.Printf("numbers: %s", cfg.jsonOut)
	}
	return nil
}

// profile names the network profile: "loopback" or "+250µs".
func (cfg config) profile() string {
	if cfg.delay <= 0 {
		return "loopback"
	}
	return "+" + cfg.delay.String()
}

// optRT is a round-trip figure, or "–" for a step the server does not
// serve.
func optRT(x float64, served bool) string {
	if !served {
		return "–"
	}
	return fmt.Sprintf("%.2f", x)
}
