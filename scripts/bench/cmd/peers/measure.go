package main

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/gosessions/sessions/scripts/bench/load"
	"github.com/gosessions/sessions/scripts/bench/redictstat"
	"github.com/gosessions/sessions/scripts/bench/wire"
)

// endpointRun is one measured run of one endpoint.
type endpointRun struct {
	Load      load.Result
	Redis     redictstat.Delta
	AppCPU    time.Duration // the server process's CPU (all its threads)
	ClientCPU time.Duration // the load generator's (this process's)
}

// perRequest divides by the answered requests.
func (e endpointRun) perRequest(x float64) float64 {
	if e.Load.Requests == 0 {
		return 0
	}
	return x / float64(e.Load.Requests)
}

// Commands is the INFO commandstats calls per request.
func (e endpointRun) Commands() float64 { return e.perRequest(float64(e.Redis.Calls())) }

// CPU is Redict's CPU (user + sys) per request, in µs.
func (e endpointRun) CPU() float64 { return e.perRequest(e.Redis.CPU * 1e6) }

// App is the server's CPU per request, in µs.
func (e endpointRun) App() float64 { return e.perRequest(float64(e.AppCPU.Nanoseconds()) / 1e3) }

// Client is the load generator's CPU per request, in µs.
func (e endpointRun) Client() float64 { return e.perRequest(float64(e.ClientCPU.Nanoseconds()) / 1e3) }

// visit is one server's measurements in one round.
type visit struct {
	Round       int
	Count, Read endpointRun
	Memory      redictstat.Memory // after each user's one /api/count (once, at the start)
	Users       int
}

// wireResult is what the round-trip pass found.
type wireResult struct {
	CountRoundTrips, ReadRoundTrips float64 // per request, sessions established
	CountWireCmds, ReadWireCmds     float64 // commands crossing the wire per request
	FreshReadRoundTrips             int64   // /api/read without a session
	HealthRoundTrips                int64   // /health

	// The steps users wait on, one user at a time (steps of them).
	Login                             bool    // the server serves POST /api/login and /api/logout
	LoginRoundTrips, LogoutRoundTrips float64 // per request; login from a session with a count
	LoginWireCmds, LogoutWireCmds     float64
	AfterChangeRoundTrips             float64 // /api/read after another instance's /api/count
	AfterChangeWireCmds               float64
	Notes                             []string
}

// steps is how many times the wire pass runs each step users wait on
// (login, logout, a read after a change elsewhere).
const steps = 10

// serverResult is all one server's numbers.
type serverResult struct {
	Spec   spec
	Wire   wireResult
	Visits []visit
}

// setupUsers gives each user a session with one /api/count, concurrently.
func setupUsers(ctx context.Context, base string, n int) ([]*load.User, error) {
	users := load.NewUsers(n)
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i, u := range users {
		wg.Add(1)
		go func() {
			defer wg.Done()
			r, err := u.Get(ctx, base+"/api/count")
			if err == nil && r.Status != http.StatusOK {
				err = fmt.Errorf("/api/count answered %d: %.200s", r.Status, r.Body)
			}
			errs[i] = err
		}()
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			return nil, err
		}
	}
	return users, nil
}

// measure runs a warm-up and then a measured run of path, INFO around
// the measured one.
func measure(ctx context.Context, cfg config, admin *redis.Client, users []*load.User, url string, pid int) (endpointRun, error) {
	if cfg.warmup > 0 {
		if _, err := load.Run(ctx, users, url, cfg.warmup, cfg.max); err != nil {
			return endpointRun{}, err
		}
	}
	before, err := redictstat.Take(ctx, admin)
	if err != nil {
		return endpointRun{}, err
	}
	app0, err := processCPU(pid)
	if err != nil {
		return endpointRun{}, err
	}
	client0, _ := processCPU(os.Getpid())
	res, err := load.Run(ctx, users, url, cfg.duration, cfg.max)
	if err != nil {
		return endpointRun{}, err
	}
	app1, err := processCPU(pid)
	if err != nil {
		return endpointRun{}, err
	}
	client1, _ := processCPU(os.Getpid())
	after, err := redictstat.Take(ctx, admin)
	if err != nil {
		return endpointRun{}, err
	}
	if res.Failures > 0 {
		return endpointRun{}, fmt.Errorf("%s: %d of %d requests failed, the first: %s", url, res.Failures, res.Failures+res.Requests, res.Failure)
	}
	if err := ctx.Err(); err != nil {
		return endpointRun{}, err
	}
	return endpointRun{Load: res, Redis: after.Sub(before), AppCPU: app1 - app0, ClientCPU: client1 - client0}, nil
}

// live is one server kept running through the rounds, its sessions in
// a database of its own (so its keys can be told from the others').
type live struct {
	spec   spec
	px     *wire.Proxy // the delaying proxy to its store; nil on loopback
	proc   *proc
	users  []*load.User
	memory redictstat.Memory // after each user's one /api/count
}

// redisURL is the URL of database db on addr with admin's credentials.
func redisURL(admin *redis.Client, addr string, db int) string {
	opts := admin.Options()
	if opts.Password != "" {
		return fmt.Sprintf("redis://%s:%s@%s/%d", opts.Username, opts.Password, addr, db)
	}
	return fmt.Sprintf("redis://%s/%d", addr, db)
}

// startAll starts every server, server i on database i (flushed first),
// gives each user a session, and measures what the sessions take.
func startAll(ctx context.Context, cfg config, admin *redis.Client) ([]*live, error) {
	if v, err := admin.ConfigGet(ctx, "databases").Result(); err == nil {
		if n, _ := strconv.Atoi(v["databases"]); n < len(cfg.servers) {
			return nil, fmt.Errorf("the redis-server has %d databases, the run needs %d (one per server): start it with --databases %d", n, len(cfg.servers), len(cfg.servers))
		}
	}
	var all []*live
	for i, s := range cfg.servers {
		opts := *admin.Options()
		opts.DB = i
		db := redis.NewClient(&opts)
		var px *wire.Proxy
		addr := opts.Addr
		if cfg.delay > 0 {
			var err error
			if px, err = wire.ListenOptions(opts.Addr, wire.Options{Delay: cfg.delay}); err != nil {
				_ = db.Close()
				_ = stopAll(all)
				return nil, err
			}
			addr = px.Addr()
		}
		l, err := startLive(ctx, cfg, db, s, redisURL(admin, addr, i))
		_ = db.Close() // only FLUSHDB and MEMORY USAGE went through it
		if err != nil {
			if px != nil {
				_ = px.Close() // its server has stopped
			}
			_ = stopAll(all)
			return nil, fmt.Errorf("%s: %w", s.Name, err)
		}
		l.px = px
		all = append(all, l)
	}
	return all, nil
}

func startLive(ctx context.Context, cfg config, db *redis.Client, s spec, url string) (*live, error) {
	if err := db.FlushDB(ctx).Err(); err != nil {
		return nil, err
	}
	p, err := startServer(ctx, cfg, s, url)
	if err != nil {
		return nil, err
	}
	l := &live{spec: s, proc: p}
	if l.users, err = setupUsers(ctx, p.base, cfg.users); err != nil {
		p.stop()
		return nil, err
	}
	if l.memory, err = redictstat.KeyMemory(ctx, db); err != nil {
		load.CloseIdle(l.users)
		p.stop()
		return nil, err
	}
	for _, ep := range []string{"/api/count", "/api/read"} {
		if cfg.firstWarmup <= 0 {
			break
		}
		if _, err := load.Run(ctx, l.users, p.base+ep, cfg.firstWarmup, cfg.max); err != nil {
			load.CloseIdle(l.users)
			p.stop()
			return nil, err
		}
	}
	return l, nil
}

// stopAll stops every server, its users' connections closed first (a
// graceful stop then has none to wait for), and then its proxy; it
// returns how long the proxies held the replies.
func stopAll(all []*live) wire.Holds {
	var h wire.Holds
	for _, l := range all {
		load.CloseIdle(l.users)
		l.proc.stop()
		if l.px != nil {
			h = h.Add(l.px.Holds())
			_ = l.px.Close() // its server has stopped
		}
	}
	return h
}

// wirePass counts round trips through the proxy and checks the server
// against the contract; what does not hold becomes a note in the report.
func wirePass(ctx context.Context, cfg config, admin *redis.Client, s spec) (wireResult, error) {
	var w wireResult
	if err := admin.FlushDB(ctx).Err(); err != nil {
		return w, err
	}
	px, err := wire.ListenOptions(admin.Options().Addr, wire.Options{Delay: cfg.delay})
	if err != nil {
		return w, err
	}
	defer func() { _ = px.Close() }() // the counts are taken
	p, err := startServer(ctx, cfg, s, redisURL(admin, px.Addr(), admin.Options().DB))
	if err != nil {
		return w, err
	}
	defer p.stop()
	note := func(format string, args ...any) { w.Notes = append(w.Notes, fmt.Sprintf(format, args...)) }

	// The server may still be dialling or pinging at start: let it settle.
	time.Sleep(200 * time.Millisecond)

	// /health: no cookie, no command.
	fresh := load.NewUsers(1)[0]
	c0, st0 := px.Counts(), mustTake(ctx, admin)
	r, err := fresh.Get(ctx, p.base+"/health")
	if err != nil {
		return w, err
	}
	c1, st1 := px.Counts(), mustTake(ctx, admin)
	w.HealthRoundTrips = c1.Sub(c0).RoundTrips
	if r.Status != http.StatusOK {
		note("/health answered %d", r.Status)
	}
	if sc := r.Header.Values("Set-Cookie"); len(sc) > 0 {
		note("/health set a cookie")
	}
	if n := st1.Sub(st0).Calls(); n > 0 || w.HealthRoundTrips > 0 {
		note("/health ran %d Redict commands in %d round trips", n, w.HealthRoundTrips)
	}

	// /api/read without a session: 0, nothing created.
	c0, st0 = px.Counts(), mustTake(ctx, admin)
	r, err = fresh.Get(ctx, p.base+"/api/read")
	if err != nil {
		return w, err
	}
	c1, st1 = px.Counts(), mustTake(ctx, admin)
	w.FreshReadRoundTrips = c1.Sub(c0).RoundTrips
	if r.Status != http.StatusOK || countOf(r.Body) != 0 {
		note("/api/read without a session answered %d %.100s, want 200 {\"count\":0}", r.Status, r.Body)
	}
	if len(r.Header.Values("Set-Cookie")) > 0 {
		note("/api/read without a session set a cookie")
	}
	if n, _ := admin.DBSize(ctx).Result(); n > 0 {
		note("/api/read without a session left %d keys", n)
	}
	if d := st1.Sub(st0); d.Calls() > 0 {
		note("/api/read without a session ran %s", commandList(d))
	}

	// One user counts to 2 and reads 2.
	u := load.NewUsers(1)[0]
	for i, want := range []int64{1, 2} {
		r, err := u.Get(ctx, p.base+"/api/count")
		if err != nil {
			return w, err
		}
		if r.Status != http.StatusOK || countOf(r.Body) != want {
			note("/api/count #%d answered %d %.100s, want {\"count\":%d}", i+1, r.Status, r.Body, want)
		}
	}
	st0 = mustTake(ctx, admin)
	r, err = u.Get(ctx, p.base+"/api/read")
	if err != nil {
		return w, err
	}
	st1 = mustTake(ctx, admin)
	if r.Status != http.StatusOK || countOf(r.Body) != 2 {
		note("/api/read after two counts answered %d %.100s, want {\"count\":2}", r.Status, r.Body)
	}
	if len(r.Header.Values("Set-Cookie")) > 0 {
		note("/api/read of a session sends Set-Cookie")
	}
	if d := st1.Sub(st0); hasWrite(d) {
		note("/api/read of a session writes: %s", commandList(d))
	}

	// Round trips per request, sessions established and the pools warm.
	users, err := setupUsers(ctx, p.base, cfg.users)
	if err != nil {
		return w, err
	}
	defer load.CloseIdle(append(users, fresh, u))
	for _, ep := range []struct {
		path     string
		rt, cmds *float64
	}{{"/api/count", &w.CountRoundTrips, &w.CountWireCmds}, {"/api/read", &w.ReadRoundTrips, &w.ReadWireCmds}} {
		if _, err := load.Run(ctx, users, p.base+ep.path, cfg.wireRun/2, cfg.max); err != nil {
			return w, err
		}
		c0 := px.Counts()
		res, err := load.Run(ctx, users, p.base+ep.path, cfg.wireRun, cfg.max)
		if err != nil {
			return w, err
		}
		d := px.Counts().Sub(c0)
		if res.Requests == 0 || res.Failures > 0 {
			return w, fmt.Errorf("%s through the proxy: %d answered, %d failed (%s)", ep.path, res.Requests, res.Failures, res.Failure)
		}
		*ep.rt = float64(d.RoundTrips) / float64(res.Requests)
		*ep.cmds = float64(d.Commands) / float64(res.Requests)
		if d.Connections > 0 {
			note("%s: %d new connections to Redict during the counted run", ep.path, d.Connections)
		}
	}
	if err := loginPass(ctx, px, p.base, &w, note); err != nil {
		return w, err
	}
	if err := afterChangePass(ctx, cfg, admin, px, s, p.base, users, &w, note); err != nil {
		return w, err
	}
	return w, ctx.Err()
}

// loginPass counts the round trips of a login (POST /api/login from a
// session that holds a count) and of the logout after it, steps times,
// each time a new user, after one of each not counted (the first
// pipeline of a go-redis client may dial a connection of its own). A
// server that answers 404 or 405 to the login does not serve it.
func loginPass(ctx context.Context, px *wire.Proxy, base string, w *wireResult, note func(string, ...any)) error {
	var login, logout wire.Counts
	for i := range steps + 1 {
		u := load.NewUsers(1)[0]
		r, err := u.Get(ctx, base+"/api/count")
		if err != nil {
			return err
		}
		c0 := px.Counts()
		r, err = u.Post(ctx, base+"/api/login", url.Values{"user": {fmt.Sprintf("bench-%d", i)}})
		if err != nil {
			return err
		}
		c1 := px.Counts()
		if r.Status == http.StatusNotFound || r.Status == http.StatusMethodNotAllowed {
			load.CloseIdle([]*load.User{u})
			return nil // not served
		}
		if r.Status != http.StatusOK {
			note("POST /api/login answered %d %.100s", r.Status, r.Body)
			load.CloseIdle([]*load.User{u})
			return nil
		}
		r, err = u.Post(ctx, base+"/api/logout", nil)
		if err != nil {
			return err
		}
		c2 := px.Counts()
		if r.Status != http.StatusOK && r.Status != http.StatusNoContent {
			note("POST /api/logout answered %d %.100s", r.Status, r.Body)
		}
		if r, err := u.Get(ctx, base+"/api/read"); err == nil && countOf(r.Body) != 0 {
			note("/api/read after logout answered %.100s, want {\"count\":0}", r.Body)
		}
		load.CloseIdle([]*load.User{u})
		if i > 0 {
			login, logout = add(login, c1.Sub(c0)), add(logout, c2.Sub(c1))
		}
	}
	if login.Connections > 0 || logout.Connections > 0 {
		note("login and logout: %d and %d new connections to Redict in %d of each (their handshakes are in the round trips)", login.Connections, logout.Connections, steps)
	}
	w.Login = true
	w.LoginRoundTrips, w.LoginWireCmds = float64(login.RoundTrips)/steps, float64(login.Commands)/steps
	w.LogoutRoundTrips, w.LogoutWireCmds = float64(logout.RoundTrips)/steps, float64(logout.Commands)/steps
	return nil
}

// afterChangePass counts the round trips of a read after a change
// elsewhere: a second instance of the server, on the same database but
// not through the proxy, counts for a user; after a pause for the change
// to be announced (a LocalCache's invalidation), the user reads on the
// first instance, whose answer must show the change. The user has read on
// the first instance just before, so a LocalCache holds the session.
func afterChangePass(ctx context.Context, cfg config, admin *redis.Client, px *wire.Proxy, s spec, base string, users []*load.User, w *wireResult, note func(string, ...any)) error {
	other, err := startServer(ctx, cfg, s, redisURL(admin, admin.Options().Addr, admin.Options().DB))
	if err != nil {
		return fmt.Errorf("a second instance: %w", err)
	}
	defer other.stop()
	settle := 50*time.Millisecond + 2*cfg.delay
	var total wire.Counts
	stale := 0
	for i := range steps {
		u := users[i%len(users)]
		if _, err := u.Get(ctx, base+"/api/read"); err != nil {
			return err
		}
		r, err := u.Get(ctx, other.base+"/api/count")
		if err != nil {
			return err
		}
		want := countOf(r.Body)
		time.Sleep(settle)
		c0 := px.Counts()
		r, err = u.Get(ctx, base+"/api/read")
		if err != nil {
			return err
		}
		total = add(total, px.Counts().Sub(c0))
		if countOf(r.Body) != want {
			stale++
		}
	}
	load.CloseIdle(users)
	if total.Connections > 0 {
		note("read after a change elsewhere: %d new connections to Redict in %d reads (their handshakes are in the round trips)", total.Connections, steps)
	}
	if stale > 0 {
		note("/api/read %v after a change elsewhere answered the old count %d times of %d", settle, stale, steps)
	}
	w.AfterChangeRoundTrips, w.AfterChangeWireCmds = float64(total.RoundTrips)/steps, float64(total.Commands)/steps
	return nil
}

// add returns c + o.
func add(c, o wire.Counts) wire.Counts {
	return wire.Counts{RoundTrips: c.RoundTrips + o.RoundTrips, Commands: c.Commands + o.Commands, Connections: c.Connections + o.Connections}
}

func mustTake(ctx context.Context, rdb *redis.Client) redictstat.Snapshot {
	s, err := redictstat.Take(ctx, rdb)
	if err != nil {
		return redictstat.Snapshot{Commands: map[string]redictstat.Command{}}
	}
	return s
}

// countOf reads {"count":N}; -1 when the body is not that.
func countOf(body []byte) int64 {
	var v struct {
		Count *int64 `json:"count"`
	}
	if json.Unmarshal(body, &v) != nil || v.Count == nil {
		return -1
	}
	return *v.Count
}

// writeCommands are the commands of the peers and of ours that change a
// key or its expiry. A script's inner commands show in INFO commandstats
// too, so a script that writes is caught by what it ran.
var writeCommands = map[string]bool{
	"set": true, "setex": true, "psetex": true, "del": true, "unlink": true, "hset": true, "hmset": true,
	"hdel": true, "expire": true, "pexpire": true, "pexpireat": true, "expireat": true, "hincrby": true,
	"incr": true, "incrby": true, "getex": true,
}

// hasWrite says whether d ran a write command.
func hasWrite(d redictstat.Delta) bool {
	for name := range d.Commands {
		if writeCommands[name] {
			return true
		}
	}
	return false
}

// commandList is "get 1, set 1".
func commandList(d redictstat.Delta) string {
	var parts []string
	for _, n := range d.Names() {
		parts = append(parts, fmt.Sprintf("%s %d", n, d.Commands[n].Calls))
	}
	return strings.Join(parts, ", ")
}
