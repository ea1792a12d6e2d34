// Package redictstat reads what Redict says about its own work: INFO
// commandstats (calls and time per command, commands run inside scripts
// included), INFO cpu (the server's user and system CPU time), and the
// MEMORY USAGE of the keys a set of sessions left behind.
package redictstat

import (
	"bufio"
	"context"
	"fmt"
	"regexp"
	"sort"
	"strconv"
	"strings"

	"github.com/redis/go-redis/v9"
)

// Command is one command's counters from INFO commandstats.
type Command struct {
	Calls int64 // calls
	Usec  int64 // microseconds spent in it, in total
}

// Snapshot is INFO commandstats and INFO cpu at one moment.
type Snapshot struct {
	Commands map[string]Command // by name: "get", "evalsha", "client|setinfo"
	CPU      float64            // used_cpu_user + used_cpu_sys, seconds
}

// Take reads a snapshot with one INFO command.
func Take(ctx context.Context, rdb redis.UniversalClient) (Snapshot, error) {
	text, err := rdb.Info(ctx, "commandstats", "cpu").Result()
	if err != nil {
		return Snapshot{}, fmt.Errorf("redictstat: INFO: %w", err)
	}
	return Parse(text)
}

// Parse reads the text of INFO commandstats and cpu.
func Parse(text string) (Snapshot, error) {
	s := Snapshot{Commands: map[string]Command{}}
	var user, sys float64
	var haveCPU int
	sc := bufio.NewScanner(strings.NewReader(text))
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		name, rest, ok := strings.Cut(line, ":")
		if !ok {
			continue
		}
		switch {
		case strings.HasPrefix(name, "cmdstat_"):
			var c Command
			for _, kv := range strings.Split(rest, ",") {
				k, v, _ := strings.Cut(kv, "=")
				switch k {
				case "calls":
					c.Calls, _ = strconv.ParseInt(v, 10, 64)
				case "usec":
					c.Usec, _ = strconv.ParseInt(v, 10, 64)
				}
			}
			s.Commands[strings.TrimPrefix(name, "cmdstat_")] = c
		case name == "used_cpu_user":
			user, _ = strconv.ParseFloat(rest, 64)
			haveCPU++
		case name == "used_cpu_sys":
			sys, _ = strconv.ParseFloat(rest, 64)
			haveCPU++
		}
	}
	if haveCPU != 2 {
		return s, fmt.Errorf("redictstat: INFO has no used_cpu_user and used_cpu_sys")
	}
	s.CPU = user + sys
	return s, nil
}

// Delta is the work done between two snapshots.
type Delta struct {
	Commands map[string]Command // only those called in between, INFO itself left out
	CPU      float64            // seconds
}

// Sub returns the work done from o to s. INFO, the snapshots' own
// command, is left out.
func (s Snapshot) Sub(o Snapshot) Delta {
	d := Delta{Commands: map[string]Command{}, CPU: s.CPU - o.CPU}
	for name, c := range s.Commands {
		if name == "info" {
			continue
		}
		p := o.Commands[name]
		if c.Calls > p.Calls {
			d.Commands[name] = Command{Calls: c.Calls - p.Calls, Usec: c.Usec - p.Usec}
		}
	}
	return d
}

// Calls is the number of commands run, scripts' inner commands included.
func (d Delta) Calls() int64 {
	var n int64
	for _, c := range d.Commands {
		n += c.Calls
	}
	return n
}

// Names returns the commands called, most called first.
func (d Delta) Names() []string {
	names := make([]string, 0, len(d.Commands))
	for n := range d.Commands {
		names = append(names, n)
	}
	sort.Slice(names, func(i, j int) bool {
		a, b := d.Commands[names[i]], d.Commands[names[j]]
		if a.Calls != b.Calls {
			return a.Calls > b.Calls
		}
		return names[i] < names[j]
	})
	return names
}

// Memory is what a set of keys takes in the store.
type Memory struct {
	Keys   int        // how many keys
	Bytes  int64      // MEMORY USAGE (SAMPLES 0) summed over them
	Groups []KeyGroup // the keys by kind, the most first
}

// KeyGroup is the keys of one kind: the same shape once the ids are
// taken out.
type KeyGroup struct {
	Pattern string // e.g. "scs:session:*": the common prefix and suffix around the id
	Keys    int
	Bytes   int64
}

// Pattern is every group's pattern, joined with " + ".
func (m Memory) Pattern() string {
	var ps []string
	for _, g := range m.Groups {
		ps = append(ps, g.Pattern)
	}
	return strings.Join(ps, " + ")
}

// idRun is a run of id characters (base64, base32, hex, uuid) long
// enough to be an id rather than a name.
var idRun = regexp.MustCompile(`[A-Za-z0-9+/=_-]{16,}`)

// KeyMemory scans every key of the database and sums their MEMORY USAGE
// (SAMPLES 0: every field of a hash counted), by kind of key. Run it on a
// database that holds only the sessions of the server under test.
func KeyMemory(ctx context.Context, rdb *redis.Client) (Memory, error) {
	type group struct {
		KeyGroup
		shape, prefix, suffix string
	}
	var m Memory
	groups := map[string]*group{}
	iter := rdb.Scan(ctx, 0, "*", 1000).Iterator()
	for iter.Next(ctx) {
		key := iter.Val()
		n, err := rdb.MemoryUsage(ctx, key, 0).Result()
		if err == redis.Nil {
			continue // expired in between
		}
		if err != nil {
			return m, fmt.Errorf("redictstat: MEMORY USAGE: %w", err)
		}
		m.Keys++
		m.Bytes += n
		shape := idRun.ReplaceAllString(key, "*")
		g := groups[shape]
		if g == nil {
			g = &group{shape: shape, prefix: key, suffix: key}
			groups[shape] = g
		}
		g.Keys++
		g.Bytes += n
		g.prefix, g.suffix = commonPrefix(g.prefix, key), commonSuffix(g.suffix, key)
	}
	if err := iter.Err(); err != nil {
		return m, fmt.Errorf("redictstat: SCAN: %w", err)
	}
	for _, g := range groups {
		g.Pattern = pattern(g.shape, g.prefix, g.suffix)
		m.Groups = append(m.Groups, g.KeyGroup)
	}
	sort.Slice(m.Groups, func(i, j int) bool {
		a, b := m.Groups[i], m.Groups[j]
		if a.Keys != b.Keys {
			return a.Keys > b.Keys
		}
		return a.Pattern < b.Pattern
	})
	return m, nil
}

// pattern is a group's shape (its keys with every id run turned into
// "*"), with the literal part an id run swallowed at either end given
// back from the keys' common prefix and suffix ("session_" of
// gorilla's "session_ID", where "_" counts as an id character).
func pattern(shape, prefix, suffix string) string {
	if p := trimID(prefix); strings.HasPrefix(shape, "*") && !strings.HasPrefix(shape, p+"*") {
		shape = p + shape
	}
	if s := trimSuffix(suffix); strings.HasSuffix(shape, "*") && s != "" && !strings.HasSuffix(shape, "*"+s) {
		shape += s
	}
	return shape
}

func commonPrefix(a, b string) string {
	n := min(len(a), len(b))
	for i := 0; i < n; i++ {
		if a[i] != b[i] {
			return a[:i]
		}
	}
	return a[:n]
}

func commonSuffix(a, b string) string {
	n := min(len(a), len(b))
	for i := 0; i < n; i++ {
		if a[len(a)-1-i] != b[len(b)-1-i] {
			return a[len(a)-i:]
		}
	}
	return a[len(a)-n:]
}

const separators = ":_{}-/."

// trimID cuts a prefix back to its last separator, so a chance match of
// the ids' first characters is not shown as part of the prefix.
func trimID(prefix string) string {
	i := strings.LastIndexAny(prefix, separators)
	return prefix[:i+1]
}

// trimSuffix cuts a suffix forward to its first separator.
func trimSuffix(suffix string) string {
	i := strings.IndexAny(suffix, separators)
	if i < 0 {
		return ""
	}
	return suffix[i:]
}
