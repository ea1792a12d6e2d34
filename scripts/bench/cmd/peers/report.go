package main

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"runtime"
	"slices"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/gosessions/sessions/scripts/bench/wire"
)

// machine says where and when the run happened.
type machine struct {
	Cores         int
	Go            string
	Redis         string
	Before, After string // uptime's load averages
	Elapsed       string
}

func loadAverage() string {
	out, err := exec.Command("uptime").Output()
	if err != nil {
		b, _ := os.ReadFile("/proc/loadavg")
		return "loadavg " + strings.TrimSpace(string(b))
	}
	s := strings.TrimSpace(string(out))
	if i := strings.Index(s, "load average"); i >= 0 {
		return s[i:]
	}
	return s
}

func describeMachine(ctx context.Context, admin *redis.Client) *machine {
	m := &machine{Cores: runtime.NumCPU(), Go: runtime.Version(), Before: loadAverage()}
	if info, err := admin.Info(ctx, "server").Result(); err == nil {
		for _, line := range strings.Split(info, "\n") {
			if v, ok := strings.CutPrefix(strings.TrimSpace(line), "redis_version:"); ok {
				m.Redis = v
			}
		}
	}
	return m
}

func (m *machine) after(_ context.Context, d time.Duration) {
	m.After = loadAverage()
	m.Elapsed = d.Round(time.Second).String()
}

// epAgg is one endpoint's medians over the rounds.
type epAgg struct {
	ReqPS, XFloor, XPeer float64
	P50, P99             float64 // ms
	Cmds, CPU, CPUXFloor float64 // INFO commands and Redict CPU µs per request
	App, Client          float64 // the server's and the load generator's CPU µs per request
	XFloorCPU            float64 // the floor's (server + Redict) CPU per request over this one's
	RoundTrips, WireCmds float64 // from the proxy pass
	Commands             []cmdAgg
	RoundsXFloor         []float64 // each round's ratio to the floor, in round order
	RoundsXPeer          []float64
	RoundsXFloorCPU      []float64
}

// scripts are the commands that run a script: their usec_per_call holds
// the script's inner commands too.
var scripts = map[string]bool{"eval": true, "evalsha": true, "eval_ro": true, "evalsha_ro": true, "fcall": true, "fcall_ro": true}

// storeTime is Redict's time per request in commands: a script's
// usec_per_call when one runs (its inner commands are in it), else the
// sum over the commands; and what it is made of.
func (e epAgg) storeTime() (float64, string) {
	var total float64
	var names []string
	for _, c := range e.Commands {
		if scripts[c.Name] {
			return c.UsecP, c.Name
		}
	}
	for _, c := range e.Commands {
		total += c.PerReq * c.UsecP
		names = append(names, c.Name)
	}
	return total, strings.Join(names, "+")
}

// cmdAgg is one command's share of an endpoint.
type cmdAgg struct {
	Name          string
	PerReq, UsecP float64 // calls per request, µs per call
}

// agg is one server's line of the table.
type agg struct {
	Spec           spec
	Count, Read    epAgg
	MemPerSession  float64 // bytes
	KeysPerSession float64
	KeyKinds       string // the keys by kind, from the round of the median
	Notes          []string
	Rounds         int
}

type report struct {
	cfg     config
	machine *machine
	rows    []agg
	raw     map[string]*serverResult
	holds   wire.Holds // how long the delaying proxies held the replies during the rounds
}

// quantile is the q-quantile of xs (linear between the closest ranks).
func quantile(xs []float64, q float64) float64 {
	if len(xs) == 0 {
		return 0
	}
	s := slices.Clone(xs)
	slices.Sort(s)
	pos := q * float64(len(s)-1)
	i := int(pos)
	if i+1 >= len(s) {
		return s[len(s)-1]
	}
	return s[i] + (pos-float64(i))*(s[i+1]-s[i])
}

func median(xs []float64) float64 {
	if len(xs) == 0 {
		return 0
	}
	s := slices.Clone(xs)
	slices.Sort(s)
	if len(s)%2 == 1 {
		return s[len(s)/2]
	}
	return (s[len(s)/2-1] + s[len(s)/2]) / 2
}

func newReport(cfg config, m *machine, results map[string]*serverResult) *report {
	rep := &report{cfg: cfg, machine: m, raw: results}
	var floor *serverResult
	for _, s := range cfg.servers {
		if s.Kind == "floor" {
			floor = results[s.Name]
		}
	}
	byRound := func(r *serverResult) map[int]visit {
		m := map[int]visit{}
		for _, v := range r.Visits {
			m[v.Round] = v
		}
		return m
	}
	floorV := byRound(floor)
	for _, s := range cfg.servers {
		r := results[s.Name]
		var peerV map[int]visit
		if s.Peer != "" {
			peerV = byRound(results[s.Peer])
		}
		a := agg{Spec: s, Notes: r.Wire.Notes, Rounds: len(r.Visits)}
		a.Count = aggregate(r.Visits, floorV, peerV, func(v visit) endpointRun { return v.Count })
		a.Read = aggregate(r.Visits, floorV, peerV, func(v visit) endpointRun { return v.Read })
		a.Count.RoundTrips, a.Count.WireCmds = r.Wire.CountRoundTrips, r.Wire.CountWireCmds
		a.Read.RoundTrips, a.Read.WireCmds = r.Wire.ReadRoundTrips, r.Wire.ReadWireCmds
		var mem, keys []float64
		for _, v := range r.Visits {
			mem = append(mem, float64(v.Memory.Bytes)/float64(v.Users))
			keys = append(keys, float64(v.Memory.Keys)/float64(v.Users))
		}
		a.MemPerSession, a.KeysPerSession = median(mem), median(keys)
		for _, v := range r.Visits {
			if float64(v.Memory.Bytes)/float64(v.Users) == a.MemPerSession || a.KeyKinds == "" {
				a.KeyKinds = keyKinds(v)
			}
		}
		rep.rows = append(rep.rows, a)
	}
	return rep
}

// aggregate takes the medians of one endpoint over the rounds; ratios are
// taken within a round (against the floor and the peer of the same
// round) and their median reported.
func aggregate(vs []visit, floorV, peerV map[int]visit, ep func(visit) endpointRun) epAgg {
	var reqps, xf, xp, p50, p99, cmds, cpu, cpuxf, app, client, xfcpu []float64
	perCmd := map[string][][2]float64{}
	for _, v := range vs {
		e := ep(v)
		reqps = append(reqps, e.Load.PerSecond())
		p50 = append(p50, float64(e.Load.P50.Microseconds())/1000)
		p99 = append(p99, float64(e.Load.P99.Microseconds())/1000)
		cmds = append(cmds, e.Commands())
		cpu = append(cpu, e.CPU())
		app = append(app, e.App())
		client = append(client, e.Client())
		if f, ok := floorV[v.Round]; ok {
			fe := ep(f)
			if own := e.App() + e.CPU(); own > 0 {
				xfcpu = append(xfcpu, (fe.App()+fe.CPU())/own)
			}
			if fe.Load.PerSecond() > 0 {
				xf = append(xf, e.Load.PerSecond()/fe.Load.PerSecond())
			}
			if fe.CPU() > 0 {
				cpuxf = append(cpuxf, e.CPU()/fe.CPU())
			}
		}
		if p, ok := peerV[v.Round]; ok && ep(p).Load.PerSecond() > 0 {
			xp = append(xp, e.Load.PerSecond()/ep(p).Load.PerSecond())
		}
		for name, c := range e.Redis.Commands {
			if c.Calls == 0 {
				continue
			}
			perCmd[name] = append(perCmd[name], [2]float64{e.perRequest(float64(c.Calls)), float64(c.Usec) / float64(c.Calls)})
		}
	}
	a := epAgg{ReqPS: median(reqps), XFloor: median(xf), XPeer: median(xp), P50: median(p50), P99: median(p99),
		Cmds: median(cmds), CPU: median(cpu), CPUXFloor: median(cpuxf), RoundsXFloor: xf, RoundsXPeer: xp,
		App: median(app), Client: median(client), XFloorCPU: median(xfcpu), RoundsXFloorCPU: xfcpu}
	for name, xs := range perCmd {
		var per, us []float64
		for _, x := range xs {
			per = append(per, x[0])
			us = append(us, x[1])
		}
		for len(per) < len(vs) { // rounds where it did not run
			per = append(per, 0)
		}
		if m := median(per); m >= 0.01 {
			a.Commands = append(a.Commands, cmdAgg{Name: name, PerReq: m, UsecP: median(us)})
		}
	}
	slices.SortFunc(a.Commands, func(x, y cmdAgg) int {
		if x.PerReq != y.PerReq {
			if x.PerReq > y.PerReq {
				return -1
			}
			return 1
		}
		return strings.Compare(x.Name, y.Name)
	})
	return a
}

// keyKinds is "`scs:session:*` 1.00 × 264 B", one per kind of key.
func keyKinds(v visit) string {
	var parts []string
	for _, g := range v.Memory.Groups {
		parts = append(parts, fmt.Sprintf("`%s` %.2f × %.0f B", g.Pattern,
			float64(g.Keys)/float64(v.Users), float64(g.Bytes)/float64(g.Keys)))
	}
	return strings.Join(parts, " + ")
}

func ratio(x float64, ok bool) string {
	if !ok || x == 0 {
		return "–"
	}
	return fmt.Sprintf("%.2f", x)
}

func (rep *report) markdown() string {
	var b strings.Builder
	cfg, m := rep.cfg, rep.machine
	fmt.Fprintf(&b, "\n## Peers, profile %s: /api/count and /api/read, %d users, medians of %d interleaved rounds\n\n", cfg.profile(), cfg.users, cfg.rounds)
	fmt.Fprintf(&b, "%d cores, %s, redis-server %s; each run %v after a %v warm-up; %s before, %s after; %s in all.\n\n",
		m.Cores, m.Go, m.Redis, cfg.duration, cfg.warmup, m.Before, m.After, m.Elapsed)
	b.WriteString(rep.profileLine() + "\n\n")
	b.WriteString("| server | count req/s | ×floor | ×peer | p50/p99 ms | cmd/req | RT/req | Redict CPU µs/req | ×floor | app CPU µs/req | ×floor by CPU |" +
		" read req/s | ×floor | ×peer | p50/p99 ms | cmd/req | RT/req | Redict CPU µs/req | ×floor | app CPU µs/req | ×floor by CPU | B/session |\n")
	b.WriteString("|---|" + strings.Repeat("---:|", 21) + "\n")
	for _, a := range rep.rows {
		name := a.Spec.Name
		if a.Spec.Peer != "" {
			name += " (vs " + a.Spec.Peer + ")"
		}
		fmt.Fprintf(&b, "| %s |", name)
		for _, e := range []epAgg{a.Count, a.Read} {
			isFloor := a.Spec.Kind == "floor"
			fmt.Fprintf(&b, " %.0f | %s | %s | %.2f/%.2f | %.2f | %.2f | %.1f | %s | %.1f | %s |",
				e.ReqPS, ratio(e.XFloor, !isFloor), ratio(e.XPeer, a.Spec.Peer != ""), e.P50, e.P99,
				e.Cmds, e.RoundTrips, e.CPU, ratio(e.CPUXFloor, !isFloor), e.App, ratio(e.XFloorCPU, !isFloor))
		}
		fmt.Fprintf(&b, " %.0f |\n", a.MemPerSession)
	}
	b.WriteString("\nreq/s: answered per second by the load generator; ×floor, ×peer: the median of each round's ratio; " +
		"cmd/req: INFO commandstats calls per request (a script's inner commands included); RT/req: round trips per request " +
		"counted at the wire by a proxy in a separate pass; Redict CPU: its used_cpu_user+used_cpu_sys per request, ×floor: over the floor's; " +
		"app CPU: the server process's CPU per request (/proc/PID/task/*/schedstat); ×floor by CPU: the floor's server+Redict CPU per request over this one's, " +
		"what req/s ×floor would be where the server and Redict, not the load generator or other work, use up the cores (steadier than req/s on a shared machine); " +
		"B/session: MEMORY USAGE (SAMPLES 0) summed over the keys in the database after each user's one /api/count, per user.\n")

	b.WriteString("\n### Redict commands per request (INFO commandstats, medians)\n\n")
	b.WriteString("| server | endpoint | command | calls/req | usec_per_call | wire cmd/req |\n|---|---|---|---:|---:|---:|\n")
	for _, a := range rep.rows {
		for _, ep := range []struct {
			name string
			e    epAgg
		}{{"count", a.Count}, {"read", a.Read}} {
			for i, c := range ep.e.Commands {
				wireCmds := ""
				if i == 0 {
					wireCmds = fmt.Sprintf("%.2f", ep.e.WireCmds)
				}
				fmt.Fprintf(&b, "| %s | %s | %s | %.2f | %.2f | %s |\n", a.Spec.Name, ep.name, c.Name, c.PerReq, c.UsecP, wireCmds)
			}
		}
	}

	b.WriteString("\n### Memory per one-counter session (MEMORY USAGE, SAMPLES 0)\n\n| server | bytes | keys | keys by kind (per session × bytes each) |\n|---|---:|---:|---|\n")
	for _, a := range rep.rows {
		fmt.Fprintf(&b, "| %s | %.0f | %.2f | %s |\n", a.Spec.Name, a.MemPerSession, a.KeysPerSession, a.KeyKinds)
	}

	rep.steps(&b)
	rep.targets(&b)

	b.WriteString("\n### Noise: the spread of the rounds' ratios to the floor\n\n")
	b.WriteString("median [p25–p75] (min–max) over the rounds\n\n")
	b.WriteString("| server | count ×floor | read ×floor | count ×floor by CPU | read ×floor by CPU |\n|---|---|---|---|---|\n")
	for _, a := range rep.rows {
		if a.Spec.Kind == "floor" {
			continue
		}
		fmt.Fprintf(&b, "| %s | %s | %s | %s | %s |\n", a.Spec.Name, spread(a.Count.RoundsXFloor), spread(a.Read.RoundsXFloor),
			spread(a.Count.RoundsXFloorCPU), spread(a.Read.RoundsXFloorCPU))
	}

	b.WriteString("\n### Checks (the round-trip pass)\n\n")
	noted := false
	for _, a := range rep.rows {
		for _, n := range a.Notes {
			fmt.Fprintf(&b, "- %s: %s\n", a.Spec.Name, n)
			noted = true
		}
	}
	if !noted {
		b.WriteString("- every server answered as the contract says\n")
	}
	return b.String()
}

// spread is "0.95 [0.90–1.02] (0.71–1.30)".
func spread(xs []float64) string {
	if len(xs) == 0 {
		return "–"
	}
	return fmt.Sprintf("%.2f [%.2f–%.2f] (%.2f–%.2f)", median(xs), quantile(xs, 0.25), quantile(xs, 0.75), quantile(xs, 0), quantile(xs, 1))
}

// mark is a tick or a cross.
func mark(ok bool) string {
	if ok {
		return "✓"
	}
	return "✗"
}

// profileLine says what the profile is, and with a delay how long the
// proxies really held the replies.
func (rep *report) profileLine() string {
	if rep.cfg.delay <= 0 {
		return "Profile loopback: every server talks to redis-server on loopback, no proxy in the rounds (the round-trip pass alone goes through the counting proxy)."
	}
	held := ""
	if rep.holds.Count() > 0 {
		held = fmt.Sprintf(" (held %v at the median, %v at p99, over %d chunks of the rounds)",
			rep.holds.Quantile(0.5), rep.holds.Quantile(0.99), rep.holds.Count())
	}
	return fmt.Sprintf("Profile %s: every server's store connections (the floor's and the peers' too) go through a proxy in this process that holds each chunk of replies %v%s, "+
		"as a store a network away would; the load generator talks to the servers directly.", rep.cfg.profile(), rep.cfg.delay, held)
}

// targetsFor are the req/s targets of a profile: issue 11's on loopback,
// issue 19's with a delay (set for +250µs).
func (cfg config) targetsFor() (count, read float64) {
	if cfg.delay > 0 {
		return 1.5, 1.0
	}
	return 1.0, 0.9
}

// steps writes the round trips of each step, the floor's beside.
func (rep *report) steps(b *strings.Builder) {
	var floor wireResult
	for _, a := range rep.rows {
		if a.Spec.Kind == "floor" {
			floor = rep.raw[a.Spec.Name].Wire
		}
	}
	b.WriteString("\n### Round trips per step (the round-trip pass; this server's, then the floor's)\n\n")
	fmt.Fprintf(b, "Counted at the wire, per request: count and read over a %v run of %d users; login (POST /api/login from a session holding a count: Renew, Set, BindUser in ours), "+
		"logout (POST /api/logout) and a read after a change elsewhere (another instance of the same program on the same database counts, then %v later this one reads) each %d times, one user at a time. "+
		"–: the server does not serve the step.\n\n", rep.cfg.wireRun, rep.cfg.users, 50*time.Millisecond+2*rep.cfg.delay, steps)
	b.WriteString("| server | count | read | read without a session | login | logout | read after a change elsewhere | wire cmd/req: login, logout, after a change |\n|---|---|---|---|---|---|---|---|\n")
	pair := func(x, f float64, served, floorServed, isFloor bool) string {
		if !served {
			return "–"
		}
		if isFloor || !floorServed {
			return fmt.Sprintf("%.2f", x)
		}
		return fmt.Sprintf("%.2f / %.2f", x, f)
	}
	for _, a := range rep.rows {
		w := rep.raw[a.Spec.Name].Wire
		fl := a.Spec.Kind == "floor"
		cmds := fmt.Sprintf("%.2f, %.2f, %.2f", w.LoginWireCmds, w.LogoutWireCmds, w.AfterChangeWireCmds)
		if !w.Login {
			cmds = fmt.Sprintf("–, –, %.2f", w.AfterChangeWireCmds)
		}
		fmt.Fprintf(b, "| %s | %s | %s | %s | %s | %s | %s | %s |\n", a.Spec.Name,
			pair(w.CountRoundTrips, floor.CountRoundTrips, true, true, fl),
			pair(w.ReadRoundTrips, floor.ReadRoundTrips, true, true, fl),
			pair(float64(w.FreshReadRoundTrips), float64(floor.FreshReadRoundTrips), true, true, fl),
			pair(w.LoginRoundTrips, floor.LoginRoundTrips, w.Login, floor.Login, fl),
			pair(w.LogoutRoundTrips, floor.LogoutRoundTrips, w.Login, floor.Login, fl),
			pair(w.AfterChangeRoundTrips, floor.AfterChangeRoundTrips, true, true, fl), cmds)
	}
}

// targets writes the targets for each of our programs: the req/s ones of
// the profile (issue 11's on loopback, issue 19's with a delay) and
// issue 11's others, which do not depend on it.
func (rep *report) targets(b *strings.Builder) {
	tc, tr := rep.cfg.targetsFor()
	fmt.Fprintf(b, "\n### Targets (ours, profile %s)\n\n", rep.cfg.profile())
	fmt.Fprintf(b, "| program | count ≥%.2f×floor | read ≥%.2f×floor | count >peer | read >peer | CPU count ≤1.2×floor | CPU read ≤1.5×floor |"+
		" store µs count ≤10 | store µs read ≤5 | B/session ≤100 | RT health, read without a session / read / count: 0, 0 / 1 / 1 |\n", tc, tr)
	b.WriteString("|---|" + strings.Repeat("---|", 10) + "\n")
	for _, a := range rep.rows {
		if a.Spec.Kind != "ours" {
			continue
		}
		ct, cn := a.Count.storeTime()
		rt, rn := a.Read.storeTime()
		w := rep.raw[a.Spec.Name].Wire
		fmt.Fprintf(b, "| %s | %s %.2f (by CPU %.2f) | %s %.2f (by CPU %.2f) | %s %.2f | %s %.2f | %s %.2f | %s %.2f | %s %.1f (%s) | %s %.1f (%s) | %s %.0f | %s %d, %d / %.2f / %.2f |\n",
			a.Spec.Name,
			mark(a.Count.XFloor >= tc), a.Count.XFloor, a.Count.XFloorCPU, mark(a.Read.XFloor >= tr), a.Read.XFloor, a.Read.XFloorCPU,
			mark(a.Count.XPeer > 1), a.Count.XPeer, mark(a.Read.XPeer > 1), a.Read.XPeer,
			mark(a.Count.CPUXFloor <= 1.2), a.Count.CPUXFloor, mark(a.Read.CPUXFloor <= 1.5), a.Read.CPUXFloor,
			mark(ct <= 10), ct, cn, mark(rt <= 5), rt, rn, mark(a.MemPerSession <= 100), a.MemPerSession,
			mark(w.HealthRoundTrips == 0 && w.FreshReadRoundTrips == 0 && w.ReadRoundTrips < 1.05 && w.CountRoundTrips < 1.05),
			w.HealthRoundTrips, w.FreshReadRoundTrips, w.ReadRoundTrips, w.CountRoundTrips)
	}
	if rep.cfg.delay > 0 {
		b.WriteString("\nThe req/s targets are issue 19's for a store +250µs away; on loopback they are issue 11's (count ≥1.00×floor, read ≥0.90×). ")
	} else {
		b.WriteString("\n")
	}
	b.WriteString("store µs: the script's usec_per_call (INFO commandstats) when the path runs one, else the sum of its commands' usec_per_call × calls per request. " +
		"Allocations per modifying request: see the go test -bench lines below the table.\n")
}

// reportJSON is what -json writes and -combine reads.
type reportJSON struct {
	Profile string
	Config  runJSON
	Holds   holdsJSON
	Machine *machine
	Rows    []agg
	Raw     map[string]*serverResult
}

// runJSON is the run's configuration.
type runJSON struct {
	Users, Rounds   int
	Duration, Delay time.Duration // ns
	WireRun         time.Duration
}

// holdsJSON is how long the delaying proxies held the replies, in µs.
type holdsJSON struct {
	Chunks   int64
	P50, P99 float64
}

func (rep *report) toJSON() reportJSON {
	return reportJSON{
		Profile: rep.cfg.profile(),
		Config:  runJSON{Users: rep.cfg.users, Rounds: rep.cfg.rounds, Duration: rep.cfg.duration, Delay: rep.cfg.delay, WireRun: rep.cfg.wireRun},
		Holds: holdsJSON{Chunks: rep.holds.Count(), P50: float64(rep.holds.Quantile(0.5).Nanoseconds()) / 1e3,
			P99: float64(rep.holds.Quantile(0.99).Nanoseconds()) / 1e3},
		Machine: rep.machine, Rows: rep.rows, Raw: rep.raw,
	}
}

func (rep *report) writeJSON(path string) error {
	b, err := json.MarshalIndent(rep.toJSON(), "", "  ")
	if err != nil {
		return err
	}
	return os.WriteFile(path, b, 0o644)
}

// readJSON reads what writeJSON wrote.
func readJSON(path string) (reportJSON, error) {
	var r reportJSON
	b, err := os.ReadFile(path)
	if err != nil {
		return r, err
	}
	if err := json.Unmarshal(b, &r); err != nil {
		return r, fmt.Errorf("%s: %w", path, err)
	}
	if len(r.Rows) == 0 || r.Machine == nil {
		return r, fmt.Errorf("%s: no rows: not written by peers -json", path)
	}
	return r, nil
}
