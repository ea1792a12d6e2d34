package main

import (
	"fmt"
	"html"
	"math"
	"strings"
	"time"
)

// panel is one profile's run, as the chart draws it.
type panel struct {
	Profile       string
	Delay         time.Duration
	Users, Rounds int
	Cores         int
	Duration      time.Duration
	Redis         string
	HeldP50       float64 // µs; 0 on loopback
	Rows          []agg
}

func (rep *report) panel() panel {
	j := rep.toJSON()
	return j.panel()
}

func (j reportJSON) panel() panel {
	return panel{Profile: j.Profile, Delay: j.Config.Delay, Users: j.Config.Users, Rounds: j.Config.Rounds, Cores: j.Machine.Cores,
		Duration: j.Config.Duration, Redis: j.Machine.Redis, HeldP50: j.Holds.P50, Rows: j.Rows}
}

// svg draws this run's chart.
func (rep *report) svg() string { return chart([]panel{rep.panel()}) }

// chart draws req/s relative to the floor, /api/count and /api/read side
// by side for every server, one panel per profile, one above the other
// on the same scale: hand-written SVG, no dependency. Our programs are
// drawn in full colour, the floor and the peers lighter; the dashed lines
// are the profile's targets.
func chart(panels []panel) string {
	const (
		left, right, head, bottom = 56.0, 16.0, 30.0, 40.0
		panelTop, panelBottom     = 30.0, 40.0
		groupW, barW, plotH       = 84.0, 28.0, 240.0
	)
	n := 0.0
	maxY := 1.6
	for _, p := range panels {
		n = math.Max(n, float64(len(p.Rows)))
		for _, a := range p.Rows {
			maxY = math.Max(maxY, math.Max(a.Count.XFloor, a.Read.XFloor)*1.1)
			maxY = math.Max(maxY, math.Max(quantile(a.Count.RoundsXFloor, 0.75), quantile(a.Read.RoundsXFloor, 0.75))*1.05)
		}
	}
	maxY = math.Ceil(maxY*4) / 4
	width := math.Max(760, left+right+n*groupW)
	panelH := panelTop + plotH + panelBottom
	height := head + float64(len(panels))*panelH + bottom

	var b strings.Builder
	fmt.Fprintf(&b, `<svg xmlns="http://www.w3.org/2000/svg" width="%.0f" height="%.0f" viewBox="0 0 %.0f %.0f" font-family="sans-serif" font-size="12">`+"\n",
		width, height, width, height)
	fmt.Fprintf(&b, `<rect width="100%%" height="100%%" fill="#fff"/>`+"\n")
	fmt.Fprintf(&b, `<text x="%.0f" y="20" font-size="15" font-weight="bold">req/s relative to the floor (bare net/http + go-redis)</text>`+"\n", left)
	for k, p := range panels {
		top := head + float64(k)*panelH + panelTop
		y := func(v float64) float64 { return top + plotH - v/maxY*plotH }
		where := "the store on loopback"
		if p.Delay > 0 {
			where = fmt.Sprintf("the store %v away (each reply held %v; %.0f µs at the median)", p.Delay, p.Delay, p.HeldP50)
		}
		fmt.Fprintf(&b, `<text x="%.0f" y="%.1f" font-weight="bold">%s</text><text x="%.0f" y="%.1f" fill="#555">%s: %d users, %d cores, medians of %d interleaved rounds of %v (whiskers: their middle half); redis-server %s</text>`+"\n",
			left, top-16, html.EscapeString(p.Profile), left+8+7.5*float64(len(p.Profile)), top-16, html.EscapeString(where), p.Users, p.Cores, p.Rounds, p.Duration, html.EscapeString(p.Redis))
		for v := 0.0; v <= maxY+1e-9; v += 0.25 {
			stroke := "#ddd"
			if math.Abs(v-1) < 1e-9 {
				stroke = "#333"
			}
			fmt.Fprintf(&b, `<line x1="%.0f" x2="%.0f" y1="%.1f" y2="%.1f" stroke="%s"/>`+"\n", left, width-right, y(v), y(v), stroke)
			fmt.Fprintf(&b, `<text x="%.0f" y="%.1f" text-anchor="end" fill="#555">%.2f</text>`+"\n", left-6, y(v)+4, v)
		}
		tc, tr := config{delay: p.Delay}.targetsFor()
		fmt.Fprintf(&b, `<line x1="%.0f" x2="%.0f" y1="%.1f" y2="%.1f" stroke="#e07b39" stroke-dasharray="4 3"/>`+"\n", left, width-right, y(tr), y(tr))
		if tc != 1 {
			fmt.Fprintf(&b, `<line x1="%.0f" x2="%.0f" y1="%.1f" y2="%.1f" stroke="#3b6fb6" stroke-dasharray="4 3"/>`+"\n", left, width-right, y(tc), y(tc))
		}
		for i, a := range p.Rows {
			x0 := left + float64(i)*groupW + (groupW-2*barW)/2
			ours := a.Spec.Kind == "ours"
			for j, bar := range []struct {
				v           float64
				rounds      []float64
				full, light string
			}{{a.Count.XFloor, a.Count.RoundsXFloor, "#3b6fb6", "#a9c0e3"}, {a.Read.XFloor, a.Read.RoundsXFloor, "#e07b39", "#f3c4a5"}} {
				v := bar.v
				if a.Spec.Kind == "floor" {
					v, bar.rounds = 1, nil
				}
				fill := bar.light
				if ours {
					fill = bar.full
				}
				x := x0 + float64(j)*barW
				fmt.Fprintf(&b, `<rect x="%.1f" y="%.1f" width="%.1f" height="%.1f" fill="%s"/>`+"\n", x+1, y(v), barW-2, top+plotH-y(v), fill)
				label := y(v) - 3
				if len(bar.rounds) > 1 { // the middle half of the rounds' ratios
					lo, hi := quantile(bar.rounds, 0.25), quantile(bar.rounds, 0.75)
					cx := x + barW/2
					fmt.Fprintf(&b, `<path d="M%.1f %.1fV%.1fM%.1f %.1fh8M%.1f %.1fh8" stroke="#222" fill="none"/>`+"\n",
						cx, y(hi), y(lo), cx-4, y(hi), cx-4, y(lo))
					label = math.Min(label, y(hi)-3)
				}
				fmt.Fprintf(&b, `<text x="%.1f" y="%.1f" text-anchor="middle" font-size="10">%.2f</text>`+"\n", x+barW/2, label, v)
			}
			cx := left + float64(i)*groupW + groupW/2
			weight := "normal"
			if ours {
				weight = "bold"
			}
			fmt.Fprintf(&b, `<text x="%.1f" y="%.1f" text-anchor="middle" font-weight="%s">%s</text>`+"\n", cx, top+plotH+16, weight, html.EscapeString(a.Spec.Name))
			if a.Spec.Peer != "" {
				fmt.Fprintf(&b, `<text x="%.1f" y="%.1f" text-anchor="middle" fill="#555" font-size="10">vs %s</text>`+"\n", cx, top+plotH+30, html.EscapeString(a.Spec.Peer))
			}
		}
	}
	ly := height - 14
	legend := []struct{ fill, text string }{{"#3b6fb6", "/api/count (ours)"}, {"#e07b39", "/api/read (ours)"}, {"#a9c0e3", "count (floor, peers)"}, {"#f3c4a5", "read (floor, peers)"}}
	lx := left
	for _, l := range legend {
		fmt.Fprintf(&b, `<rect x="%.0f" y="%.0f" width="12" height="12" fill="%s"/><text x="%.0f" y="%.0f">%s</text>`+"\n", lx, ly-10, l.fill, lx+16, ly, html.EscapeString(l.text))
		lx += 16 + float64(len(l.text))*6.5 + 18
	}
	fmt.Fprintf(&b, `<line x1="%.0f" x2="%.0f" y1="%.0f" y2="%.0f" stroke="#e07b39" stroke-dasharray="4 3"/><text x="%.0f" y="%.0f">targets (read; count where above 1)</text>`+"\n", lx, lx+20, ly-4, ly-4, lx+24, ly)
	b.WriteString("</svg>\n")
	return b.String()
}
