package main

import (
	"fmt"
	"os"
	"strings"
)

// combine reads the JSON of runs of several profiles (peers -json) and
// writes one chart of them all to svgPath, and prints their figures side
// by side: the Performance section of the README is made of this.
func combine(paths []string, svgPath string) error {
	var runs []reportJSON
	for _, p := range paths {
		r, err := readJSON(p)
		if err != nil {
			return err
		}
		runs = append(runs, r)
	}
	var panels []panel
	for _, r := range runs {
		panels = append(panels, r.panel())
	}
	if svgPath != "" {
		if err := os.WriteFile(svgPath, []byte(chart(panels)), 0o644); err != nil {
			return err
		}
	}
	fmt.Print(sideBySide(runs))
	return nil
}

// sideBySide is one table of every server's figures in each run, a cell
// holding the runs' values in the order given.
func sideBySide(runs []reportJSON) string {
	var b strings.Builder
	var profiles []string
	for _, r := range runs {
		profiles = append(profiles, fmt.Sprintf("%s (%d rounds, %s in all; %s before, %s after)", r.Profile, r.Config.Rounds, r.Machine.Elapsed, r.Machine.Before, r.Machine.After))
	}
	fmt.Fprintf(&b, "\n## Profiles side by side: each cell is %s\n\n", strings.Join(names(runs), " · "))
	for _, p := range profiles {
		fmt.Fprintf(&b, "- %s\n", p)
	}
	b.WriteString("\n| server | count ×floor | count ×peer | read ×floor | read ×peer | count p50 ms | count p99 ms | read p50 ms | read p99 ms | round trips count, read |\n")
	b.WriteString("|---|" + strings.Repeat("---:|", 9) + "\n")
	for i, a := range runs[0].Rows {
		name := a.Spec.Name
		if a.Spec.Peer != "" {
			name += " (vs " + a.Spec.Peer + ")"
		}
		cell := func(f func(agg) string) string {
			var xs []string
			for _, r := range runs {
				if i < len(r.Rows) && r.Rows[i].Spec.Name == a.Spec.Name {
					xs = append(xs, f(r.Rows[i]))
				} else {
					xs = append(xs, "?")
				}
			}
			return strings.Join(xs, " · ")
		}
		isFloor, hasPeer := a.Spec.Kind == "floor", a.Spec.Peer != ""
		fmt.Fprintf(&b, "| %s | %s | %s | %s | %s | %s | %s | %s | %s | %s |\n", name,
			cell(func(x agg) string { return ratio(x.Count.XFloor, !isFloor) }),
			cell(func(x agg) string { return ratio(x.Count.XPeer, hasPeer) }),
			cell(func(x agg) string { return ratio(x.Read.XFloor, !isFloor) }),
			cell(func(x agg) string { return ratio(x.Read.XPeer, hasPeer) }),
			cell(func(x agg) string { return fmt.Sprintf("%.2f", x.Count.P50) }),
			cell(func(x agg) string { return fmt.Sprintf("%.2f", x.Count.P99) }),
			cell(func(x agg) string { return fmt.Sprintf("%.2f", x.Read.P50) }),
			cell(func(x agg) string { return fmt.Sprintf("%.2f", x.Read.P99) }),
			cell(func(x agg) string { return fmt.Sprintf("%.2f, %.2f", x.Count.RoundTrips, x.Read.RoundTrips) }))
	}
	for _, r := range runs {
		rep := &report{cfg: config{users: r.Config.Users, rounds: r.Config.Rounds, duration: r.Config.Duration, delay: r.Config.Delay, wireRun: r.Config.WireRun},
			machine: r.Machine, rows: r.Rows, raw: r.Raw}
		fmt.Fprintf(&b, "\n#### %s\n", r.Profile)
		rep.steps(&b)
		rep.targets(&b)
	}
	return b.String()
}

func names(runs []reportJSON) []string {
	var xs []string
	for _, r := range runs {
		xs = append(xs, r.Profile)
	}
	return xs
}
