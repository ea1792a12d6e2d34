package main

import (
	"encoding/xml"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// withSteps gives testReport's servers login, logout and after-change
// figures: the floor logs in in one round trip, ours in two; the peer
// serves no login.
func withSteps(rep *report) *report {
	for name, r := range rep.raw {
		switch name {
		case "floor":
			r.Wire.Login, r.Wire.LoginRoundTrips, r.Wire.LogoutRoundTrips, r.Wire.AfterChangeRoundTrips = true, 1, 1, 1
		case "nethttp":
			r.Wire.Login, r.Wire.LoginRoundTrips, r.Wire.LogoutRoundTrips, r.Wire.AfterChangeRoundTrips = true, 2, 1, 1
		default:
			r.Wire.AfterChangeRoundTrips = 2
		}
	}
	return rep
}

func TestStepsTableGivesTheFloorsFigureBeside(t *testing.T) {
	t.Parallel()
	md := withSteps(testReport()).markdown()
	for _, want := range []string{
		"| floor | 1.00 | 1.00 | 0.00 | 1.00 | 1.00 | 1.00 |",
		"| nethttp | 1.00 / 1.00 | 1.00 / 1.00 | 0.00 / 0.00 | 2.00 / 1.00 | 1.00 / 1.00 | 1.00 / 1.00 |",
		"| scs | 1.00 / 1.00 | 1.00 / 1.00 | 0.00 / 0.00 | – | – | 2.00 / 1.00 |",
	} {
		if !strings.Contains(md, want) {
			t.Errorf("the steps table lacks %q:\n%s", want, md)
		}
	}
}

func TestTheProfileNamesTheTableAndItsTargets(t *testing.T) {
	t.Parallel()
	loop := testReport()
	if md := loop.markdown(); !strings.Contains(md, "## Peers, profile loopback:") || !strings.Contains(md, "| count ≥1.00×floor | read ≥0.90×floor |") {
		t.Errorf("loopback: title or targets wrong:\n%s", md)
	}
	far := testReport()
	far.cfg.delay = 250 * time.Microsecond
	md := far.markdown()
	for _, want := range []string{"## Peers, profile +250µs:", "| count ≥1.50×floor | read ≥1.00×floor |",
		"| nethttp | ✗ 0.90 (by CPU 1.00) | ✗ 0.90 (by CPU 1.00) |", "holds each chunk of replies 250µs"} {
		if !strings.Contains(md, want) {
			t.Errorf("+250µs: the report lacks %q:\n%s", want, md)
		}
	}
}

func TestCombineReadsRunsAndDrawsEveryProfile(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	var paths []string
	for _, d := range []time.Duration{0, 250 * time.Microsecond} {
		rep := withSteps(testReport())
		rep.cfg.delay = d
		p := filepath.Join(dir, rep.cfg.profile()+".json")
		if err := rep.writeJSON(p); err != nil {
			t.Fatal(err)
		}
		paths = append(paths, p)
	}
	var runs []reportJSON
	for _, p := range paths {
		r, err := readJSON(p)
		if err != nil {
			t.Fatal(err)
		}
		runs = append(runs, r)
	}
	md := sideBySide(runs)
	for _, want := range []string{"each cell is loopback · +250µs", "| nethttp (vs scs) | 0.90 · 0.90 | 1.80 · 1.80 | 0.90 · 0.90 | 1.80 · 1.80 |",
		"#### +250µs", "2.00 / 1.00", "| count ≥1.50×floor |"} {
		if !strings.Contains(md, want) {
			t.Errorf("side by side lacks %q:\n%s", want, md)
		}
	}
	svg := chart([]panel{runs[0].panel(), runs[1].panel()})
	if err := xml.Unmarshal([]byte(svg), new(struct{})); err != nil {
		t.Errorf("the chart is not well-formed: %v", err)
	}
	for _, want := range []string{">loopback<", ">+250µs<", "the store 250µs away"} {
		if !strings.Contains(svg, want) {
			t.Errorf("the chart lacks %q", want)
		}
	}
	if _, err := readJSON(filepath.Join(dir, "missing.json")); err == nil {
		t.Error("a missing file read without an error")
	}
}
