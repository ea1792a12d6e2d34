// Package sessionstest is the conformance kit of gosessions: one entry
// point, Run, that holds an HTTP integration (net/http middleware, or a
// framework adapter) to every behaviour the core promises, as subtests,
// against a real Redis-protocol server.
//
// Every adapter calls Run from its own _test.go with a Harness that mounts
// the kit's routes on its framework:
//
//	func TestConformance(t *testing.T) {
//		sessionstest.Run(t, sessionstest.Harness{Serve: serve})
//	}
//
// The store comes from REDICT_URL (scripts/test.sh sets it): one server
// (redis://), a Cluster (redis+cluster://) or a Sentinel-managed primary
// (redis+sentinel://). The kit uses the standard library, the core package
// and the core's go-redis; it reaches the store's servers through loopback
// proxies of its own (one per server, by a Dialer), which count commands
// and can cut, stall or delay the traffic to simulate store failures.
package sessionstest

import (
	"net/url"
	"testing"

	sessions "github.com/gosessions/sessions/core"
)

// Route is one endpoint of the kit's test app.
type Route struct {
	// Method and Path, such as "GET" and "/get". Paths have no parameters.
	Method, Path string

	// Handle runs with the request's session, as the integration exposes
	// it to handlers (FromContext for net/http, the adapter's accessor for
	// a framework), and the request's query and form values merged. The
	// harness writes status and body (encoded as JSON, Content-Type
	// application/json) as the response, through the framework's own
	// response path.
	//
	// When body is an error, the route failed with it (status is then
	// 0): the harness reports it the way the framework's handlers report
	// an error, writing nothing itself. An echo or fiber handler returns
	// it; a gin handler records it with c.Error and returns; a net/http
	// handler, which has no error to return, answers it with
	// sessions.WriteError(w, err) when sessions.IsSessionError(err) (the
	// kit's routes fail with session errors only).
	Handle func(s *sessions.Session, form url.Values) (status int, body any)
}

// Harness mounts the kit's routes on the integration under test.
type Harness struct {
	// Serve starts a server listening on 127.0.0.1 that runs the
	// integration's session middleware for store, with its default error
	// handling, in front of routes, and returns its base URL (such as
	// "http://127.0.0.1:PORT"). It registers the server's shutdown with
	// t.Cleanup. Run calls it many times, possibly in parallel.
	Serve func(t testing.TB, store *sessions.Store, routes []Route) (baseURL string)

	// LocalCache, when set, runs every check with StoreOptions.LocalCache
	// set to it (where the check sets none of its own), to hold the local
	// cache to the same behaviour. Default 0: no cache.
	LocalCache int
}

// noCache is a check's StoreOptions.LocalCache for a store without a
// local cache even when Harness.LocalCache is set (a check that stages
// commands one by one, which a cached load pipelines in pairs).
const noCache = -1

// localCache returns the LocalCache a check's store runs with: the
// check's own, or the harness's.
func localCache(check, harness int) int {
	switch check {
	case noCache:
		return 0
	case 0:
		return harness
	}
	return check
}
