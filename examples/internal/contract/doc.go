// Package contract holds, in its tests, the black-box test every example
// program passes: it builds each program of its table (main_test.go),
// runs it as a process on a loopback port, and walks the demo contract
// (the configuration, endpoints and page every example serves) over HTTP
// in both transports, against the test rig's store (REDICT_URL), against
// the embedded store, and against a store it stops and restarts; it also
// checks the configuration errors and the Secure cookie setting.
//
// To add a program, say examples/hertz:
//
//  1. write examples/hertz (package main, demo.Main("hertz", ...));
//  2. add "hertz" to the programs table in main_test.go.
//
// TestProgramsTable fails while a main package under examples/ is missing
// from the table, so a new program cannot be left out.
package contract
