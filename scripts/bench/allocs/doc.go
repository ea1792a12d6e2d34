// Package allocs holds the benchmark's in-process measurements: the
// allocations (and time) per request of the session layer alone, for the
// floor, scs and our net/http middleware, on the same redis-server in the
// same run:
//
//	REDICT_URL=redis://127.0.0.1:PORT/0 go test -run '^$' -bench . -benchmem ./allocs
//
// scripts/bench.sh peers runs it after the table. Each request is served
// by calling the handler directly (no sockets on the HTTP side), with a
// session made by one /api/count first, so allocs/op is the server's: the
// handler, the session library and go-redis.
package allocs
