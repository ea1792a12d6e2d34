package main

import (
	"encoding/xml"
	"math"
	"strings"
	"testing"
	"time"

	"github.com/gosessions/sessions/scripts/bench/load"
	"github.com/gosessions/sessions/scripts/bench/redictstat"
)

func fakeRun(reqs int64, cpuSec float64, calls map[string]redictstat.Command) endpointRun {
	return endpointRun{
		Load:  load.Result{Requests: reqs, Elapsed: time.Second, P50: time.Millisecond, P99: 4 * time.Millisecond},
		Redis: redictstat.Delta{Commands: calls, CPU: cpuSec},
	}
}

// testReport has three rounds of a floor, a peer and one of ours; round
// 1 is slow for everyone (drift), which the per-round ratios cancel.
func testReport() *report {
	cfg := config{users: 2, rounds: 3, duration: time.Second, servers: []spec{
		{Name: "floor", Kind: "floor"}, {Name: "scs", Kind: "peer"}, {Name: "nethttp", Kind: "ours", Peer: "scs"},
	}}
	results := map[string]*serverResult{}
	speed := map[string]int64{"floor": 1000, "scs": 500, "nethttp": 900}
	for _, s := range cfg.servers {
		r := &serverResult{Spec: s, Wire: wireResult{CountRoundTrips: 1, ReadRoundTrips: 1}}
		for round := range 3 {
			n := speed[s.Name]
			if round == 1 {
				n /= 2
			}
			get := map[string]redictstat.Command{"get": {Calls: n, Usec: n}}
			r.Visits = append(r.Visits, visit{Round: round, Users: 2,
				Count: fakeRun(n, float64(n)*20e-6, get), Read: fakeRun(n, float64(n)*10e-6, get),
				Memory: redictstat.Memory{Keys: 2, Bytes: 200, Groups: []redictstat.KeyGroup{{Pattern: s.Name + ":*", Keys: 2, Bytes: 200}}}})
		}
		results[s.Name] = r
	}
	return newReport(cfg, &machine{Cores: 2, Redis: "7.0"}, results)
}

func TestReportRatiosWithinRounds(t *testing.T) {
	t.Parallel()
	rep := testReport()
	ours := rep.rows[2]
	if ours.Count.XFloor != 0.9 || ours.Count.XPeer != 1.8 {
		t.Errorf("ratios %v to the floor, %v to the peer; want 0.9 and 1.8", ours.Count.XFloor, ours.Count.XPeer)
	}
	if ours.Count.ReqPS != 900 {
		t.Errorf("median req/s %v, want 900", ours.Count.ReqPS)
	}
	if math.Abs(ours.Read.CPU-10) > 1e-9 || math.Abs(ours.Read.CPUXFloor-1) > 1e-9 {
		t.Errorf("CPU %v µs, %v of the floor's", ours.Read.CPU, ours.Read.CPUXFloor)
	}
	if ours.MemPerSession != 100 || ours.KeysPerSession != 1 {
		t.Errorf("memory %v B in %v keys per session", ours.MemPerSession, ours.KeysPerSession)
	}
	if len(ours.Count.Commands) != 1 || ours.Count.Commands[0].PerReq != 1 || ours.Count.Commands[0].UsecP != 1 {
		t.Errorf("commands %+v", ours.Count.Commands)
	}
	md := rep.markdown()
	for _, want := range []string{"| nethttp (vs scs) | 900 | 0.90 | 1.80 |",
		"| nethttp | ✗ 0.90 (by CPU 1.00) | ✓ 0.90 (by CPU 1.00) | ✓ 1.80 | ✓ 1.80 |", "| nethttp | 0.90 [0.90–0.90] (0.90–0.90) | 0.90 [0.90–0.90] (0.90–0.90) |", "| floor | 1000 | – | – |", "`nethttp:*` 1.00 × 100 B"} {
		if !strings.Contains(md, want) {
			t.Errorf("the table lacks %q:\n%s", want, md)
		}
	}
}

func TestSVGIsWellFormed(t *testing.T) {
	t.Parallel()
	svg := testReport().svg()
	d := xml.NewDecoder(strings.NewReader(svg))
	rects := 0
	for {
		tok, err := d.Token()
		if err != nil {
			if err.Error() == "EOF" {
				break
			}
			t.Fatalf("not well-formed: %v", err)
		}
		if se, ok := tok.(xml.StartElement); ok && se.Name.Local == "rect" {
			rects++
		}
	}
	if rects < 1+3*2 {
		t.Errorf("%d rects, want the background and two bars per server", rects)
	}
	if !strings.Contains(svg, ">0.90<") || !strings.Contains(svg, ">nethttp<") {
		t.Error("the chart lacks a bar label or a server name")
	}
}

func TestQuantile(t *testing.T) {
	t.Parallel()
	xs := []float64{4, 1, 3, 2, 5}
	for q, want := range map[float64]float64{0: 1, 0.25: 2, 0.5: 3, 0.75: 4, 1: 5, 0.125: 1.5} {
		if got := quantile(xs, q); math.Abs(got-want) > 1e-9 {
			t.Errorf("quantile %v = %v, want %v", q, got, want)
		}
	}
}

func TestMedian(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		in   []float64
		want float64
	}{{nil, 0}, {[]float64{3, 1, 2}, 2}, {[]float64{4, 1, 3, 2}, 2.5}} {
		if got := median(c.in); got != c.want {
			t.Errorf("median(%v) = %v, want %v", c.in, got, c.want)
		}
	}
}

func TestConfigCheck(t *testing.T) {
	t.Parallel()
	good := config{redisURL: "redis://127.0.0.1:1/0", rounds: 3, users: 1, duration: time.Second, wireRun: time.Second,
		servers: []spec{{Name: "floor", Kind: "floor", Bin: "x"}, {Name: "a", Kind: "ours", Peer: "floor", Bin: "y"}}}
	if err := good.check(true); err != nil {
		t.Fatal(err)
	}
	if good.check(false) == nil {
		t.Error("ran without -own-redis")
	}
	bad := good
	bad.redisURL = "redis://10.1.2.3:6379/0"
	if bad.check(true) == nil {
		t.Error("accepted a redis-server that is not on loopback")
	}
	bad = good
	bad.rounds = 2
	if bad.check(true) == nil {
		t.Error("accepted 2 rounds")
	}
	bad = good
	bad.servers = []spec{{Name: "a", Kind: "ours", Peer: "nope", Bin: "y"}, {Name: "floor", Kind: "floor", Bin: "x"}}
	if bad.check(true) == nil {
		t.Error("accepted a peer that is not in the run")
	}
	for _, d := range []time.Duration{-time.Microsecond, time.Second} {
		bad = good
		bad.delay = d
		if bad.check(true) == nil {
			t.Errorf("accepted -delay %v", d)
		}
	}
	far := good
	far.delay = 250 * time.Microsecond
	if err := far.check(true); err != nil || far.profile() != "+250µs" || good.profile() != "loopback" {
		t.Errorf("-delay 250µs: %v, profile %q (loopback: %q)", err, far.profile(), good.profile())
	}
}
