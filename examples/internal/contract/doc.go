// Package contract holds, in its tests, the black-box test every example
// program passes: it builds each program of its table (main_test.go),
// runs it as a process on a loopback port, and walks the demo contract
// (the configuration, endpoints and page every example serves) over HTTP
// in both transports, against the test rig's store (REDICT_URL), against
// the embedded store, and against a store it stops and restarts; it also
// checks the configuration errors and the Secure cookie setting.
//
// TestBrowser (browser_test.go) drives the contract's page in a real
// headless Chromium (github.com/chromedp/chromedp and Debian's chromium
// package), for every program in both transports: counting, reloads,
// logins from two browsers, revoking one from the other, logging out
// everywhere, and the store cut under the page (through a proxy of the
// test's, proxy_test.go) and brought back. It runs one browser for the
// whole test, with a browser context per tab. Without a browser it skips,
// or fails when SESSIONS_REQUIRE_BROWSER or SESSIONS_REQUIRE_STORE is set
// (scripts/test.sh sets both); CHROMIUM names another binary.
// SCREENSHOTS=dir writes a PNG of each program's page after login
// (testdata/screenshot.png is one):
//
//	SCREENSHOTS=/tmp/shots REDICT_URL=redis://127.0.0.1:6390/0 go test -run TestBrowser ./internal/contract
//
// To add a program, say examples/hertz:
//
//  1. write examples/hertz (package main, demo.Main("hertz", ...));
//  2. add "hertz" to the programs table in main_test.go.
//
// TestProgramsTable fails while a main package under examples/ is missing
// from the table, so a new program cannot be left out.
package contract
