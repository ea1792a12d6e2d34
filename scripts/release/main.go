// Command release is the Go side of scripts/release.sh and of the install
// check (scripts/installcheck.sh). It is a module of its own, never
// released (like examples and scripts/bench).
//
//	release modules [-root DIR]
//	    prints "PATH DIR" for each released module of DIR/go.work: every
//	    module but examples and those under scripts/.
//	release check [-root DIR] VERSION
//	    checks that the released modules can carry VERSION (as stamp does)
//	    and changes nothing.
//	release stamp [-root DIR] VERSION
//	    checks that the released modules can carry VERSION (a canonical
//	    semantic version that each module path's /vN suffix, or its lack,
//	    allows; a path that names the module's folder; no requirement on an
//	    unreleased module of ours) and rewrites every workspace module's
//	    requirements on the released modules to VERSION, keeping the replace
//	    directives.
//	release proxy [-root DIR] -o OUT -time RFC3339 VERSION
//	    writes each released module of DIR at VERSION into OUT as a module
//	    proxy serves it (list, .info with the given time, .mod, .zip built
//	    with golang.org/x/mod/zip) and prints "PATH@VERSION" for each. Run it
//	    after stamp, on a scratch copy.
//	release quickstart [-readme FILE] NAME
//	    prints the README's quick-start program NAME, marked by the line
//	    "<!-- quickstart: NAME -->" right before its ```go fence.
//	release quickstarts [-readme FILE]
//	    prints the names of the README's quick-start programs.
//	release probe [-n 2] [-wait 30s] URL
//	    visits URL n times with a cookie jar and checks that the answers
//	    count 1, 2, ... n.
package main

import (
	"flag"
	"fmt"
	"os"
	"time"
)

func main() {
	if len(os.Args) < 2 {
		usage()
	}
	var err error
	switch cmd, args := os.Args[1], os.Args[2:]; cmd {
	case "modules":
		err = runModules(args)
	case "check":
		err = runCheck(args)
	case "stamp":
		err = runStamp(args)
	case "proxy":
		err = runProxy(args)
	case "quickstart":
		err = runQuickstart(args)
	case "quickstarts":
		err = runQuickstarts(args)
	case "probe":
		err = runProbe(args)
	default:
		usage()
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "release:", err)
		os.Exit(1)
	}
}

func usage() {
	fmt.Fprintln(os.Stderr, "usage: release modules|check|stamp|proxy|quickstart|quickstarts|probe [flags] [args] (see go doc)")
	os.Exit(2)
}

// parse parses a subcommand's flags and wants n positional arguments.
func parse(fs *flag.FlagSet, args []string, n int, what string) []string {
	_ = fs.Parse(args) // the flag sets are ExitOnError: a bad flag exits with the usage
	if fs.NArg() != n {
		fmt.Fprintf(os.Stderr, "usage: release %s [flags] %s\n", fs.Name(), what)
		fs.PrintDefaults()
		os.Exit(2)
	}
	return fs.Args()
}

func runModules(args []string) error {
	fs := flag.NewFlagSet("modules", flag.ExitOnError)
	root := fs.String("root", ".", "the workspace root (holding go.work)")
	parse(fs, args, 0, "")
	mods, err := readWorkspace(*root)
	if err != nil {
		return err
	}
	for _, m := range mods {
		if m.Released {
			fmt.Println(m.Path, m.Dir)
		}
	}
	return nil
}

func runCheck(args []string) error {
	fs := flag.NewFlagSet("check", flag.ExitOnError)
	root := fs.String("root", ".", "the workspace root (holding go.work)")
	version := parse(fs, args, 1, "VERSION")[0]
	mods, err := readWorkspace(*root)
	if err != nil {
		return err
	}
	return checkRelease(mods, *root, version)
}

func runStamp(args []string) error {
	fs := flag.NewFlagSet("stamp", flag.ExitOnError)
	root := fs.String("root", ".", "the workspace root (holding go.work)")
	version := parse(fs, args, 1, "VERSION")[0]
	_, err := stamp(*root, version)
	return err
}

func runProxy(args []string) error {
	fs := flag.NewFlagSet("proxy", flag.ExitOnError)
	root := fs.String("root", ".", "the workspace root (holding go.work)")
	out := fs.String("o", "", "the proxy's folder (required)")
	when := fs.String("time", "", "the versions' time, RFC 3339: the commit's (required)")
	version := parse(fs, args, 1, "VERSION")[0]
	if *out == "" || *when == "" {
		return fmt.Errorf("proxy: -o and -time are required")
	}
	t, err := time.Parse(time.RFC3339, *when)
	if err != nil {
		return fmt.Errorf("proxy: -time: %w", err)
	}
	mods, err := readWorkspace(*root)
	if err != nil {
		return err
	}
	if err := checkRelease(mods, *root, version); err != nil {
		return err
	}
	for _, m := range mods {
		if !m.Released {
			continue
		}
		if err := checkStamped(*root, m, mods, version); err != nil {
			return err
		}
		if err := writeProxy(*out, *root, m, version, t); err != nil {
			return err
		}
		fmt.Printf("%s@%s\n", m.Path, version)
	}
	return nil
}

// checkStamped refuses to write a module whose go.mod still requires one of
// ours at another version: it would send users to a version that was never
// released.
func checkStamped(root string, m workspaceModule, mods []workspaceModule, version string) error {
	f, err := parseGoMod(root, m)
	if err != nil {
		return err
	}
	for _, r := range f.Require {
		if ours(r.Mod.Path) && r.Mod.Version != version {
			return fmt.Errorf("module %s requires %s %s, not %s: run release stamp first", m.Path, r.Mod.Path, r.Mod.Version, version)
		}
	}
	return nil
}

func runQuickstart(args []string) error {
	fs := flag.NewFlagSet("quickstart", flag.ExitOnError)
	readme := fs.String("readme", "README.md", "the README")
	name := parse(fs, args, 1, "NAME")[0]
	data, err := os.ReadFile(*readme)
	if err != nil {
		return err
	}
	prog, err := quickstart(string(data), name)
	if err != nil {
		return err
	}
	_, err = os.Stdout.WriteString(prog)
	return err
}

func runQuickstarts(args []string) error {
	fs := flag.NewFlagSet("quickstarts", flag.ExitOnError)
	readme := fs.String("readme", "README.md", "the README")
	parse(fs, args, 0, "")
	data, err := os.ReadFile(*readme)
	if err != nil {
		return err
	}
	for _, n := range quickstartNames(string(data)) {
		fmt.Println(n)
	}
	return nil
}

func runProbe(args []string) error {
	fs := flag.NewFlagSet("probe", flag.ExitOnError)
	n := fs.Int("n", 2, "visits")
	wait := fs.Duration("wait", 30*time.Second, "how long to wait for the server to listen")
	url := parse(fs, args, 1, "URL")[0]
	return probe(url, *n, *wait)
}
