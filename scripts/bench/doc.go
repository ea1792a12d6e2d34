// Package bench is the peer benchmark of gosessions: it is never imported
// by the library. Its commands are the servers it compares our example
// programs with (cmd/floor, cmd/scs, cmd/gincontrib, cmd/echocontrib,
// cmd/fibersession), a load generator (cmd/load, package load), a counting
// TCP proxy (package wire), readers of Redict's INFO (package redictstat)
// and the driver that runs them all and prints the table (cmd/peers).
//
// Run it through the repository's script, which builds everything and
// starts its own redis-server:
//
//	scripts/bench.sh peers
package bench
