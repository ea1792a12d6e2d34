package sessionstest

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strings"
	"testing"

	sessions "github.com/gosessions/sessions/core"
)

// paritySteps is the scenario the parity check runs on the integration and
// on the reference: every kind of request the core answers differently.
var paritySteps = []struct {
	method, path string
	form         url.Values
}{
	{http.MethodGet, "/untouched", nil},
	{http.MethodGet, "/get", url.Values{"k": {"a"}}},
	{http.MethodPost, "/set", url.Values{"k": {"a"}, "v": {"1"}}},
	{http.MethodGet, "/get", url.Values{"k": {"a"}}},
	{http.MethodGet, "/untouched", nil},
	{http.MethodPost, "/getset", url.Values{"k": {"a"}, "v": {"2"}}},
	{http.MethodPost, "/incr", url.Values{"k": {"n"}}},
	{http.MethodPost, "/flash-add", url.Values{"m": {"hello"}}},
	{http.MethodGet, "/flashes", nil},
	{http.MethodPost, "/renew", url.Values{"user": {"ada"}}},
	{http.MethodGet, "/keys", nil},
	{http.MethodPost, "/clear", nil},
	{http.MethodPost, "/destroy", nil},
	{http.MethodPost, "/destroy", nil},
	{http.MethodPost, "/set", url.Values{"k": {"big"}, "v": {strings.Repeat("x", 2048)}}},
}

// checkParity: the integration answers the scenario exactly as the core's
// net/http Middleware does: the same statuses and bodies, the same headers
// the core adds (Set-Cookie byte for byte but its value, Vary,
// Cache-Control, Session-Token set or cleared,
// Access-Control-Expose-Headers), and the same store commands per
// request.
func checkParity(t *testing.T, s *suite) {
	so := sessions.StoreOptions{MaxSize: 1024}
	got := s.transcript(t, so, nil)
	want := s.transcript(t, so, serveReference)
	for i := range paritySteps {
		if got[i] != want[i] {
			t.Errorf("step %d, %s %s:\n the integration: %s\n net/http:        %s",
				i, paritySteps[i].method, paritySteps[i].path, got[i], want[i])
		}
	}
}

// transcript runs the parity scenario on a fixture served by serve (the
// harness when nil) and returns one line per step.
func (s *suite) transcript(t *testing.T, so sessions.StoreOptions, serve func(testing.TB, *sessions.Store, []Route) string) []string {
	t.Helper()
	f := s.setup(t, so)
	if serve != nil {
		f.base = strings.TrimSuffix(serve(t, f.store, kitRoutes(f.store)), "/")
	}
	c := f.client(t)
	var lines []string
	for _, st := range paritySteps {
		f.proxy.reset()
		r := c.do(st.method, st.path, st.form)
		body, _ := json.Marshal(r.body)
		lines = append(lines, fmt.Sprintf("%d %s | %s | commands %v", r.status, body, coreHeaders(r.resp), f.proxy.commands()))
	}
	return lines
}

// warmCommands drops the EVAL that follows an EVALSHA the server had no
// script for (the script cache of a server that restarted, or of a Cluster
// node a script had not run on yet, is cold): the count is the same as
// with the cache warm.
func warmCommands(cmds []string) []string {
	out := cmds[:0:0]
	for i, c := range cmds {
		if c == "EVAL" && i > 0 && cmds[i-1] == "EVALSHA" {
			continue
		}
		out = append(out, c)
	}
	return out
}

// coreHeaders renders the response headers the core sets, values of
// tokens replaced by their shape.
func coreHeaders(resp *http.Response) string {
	var parts []string
	for _, name := range []string{"Vary", "Cache-Control", "Access-Control-Expose-Headers"} {
		if vs := resp.Header.Values(name); len(vs) > 0 {
			parts = append(parts, name+": "+strings.Join(vs, ", "))
		}
	}
	for _, line := range resp.Header.Values("Set-Cookie") {
		parts = append(parts, "Set-Cookie: "+redactCookie(line))
	}
	if vs, ok := resp.Header[http.CanonicalHeaderKey(jwtHeader)]; ok {
		shape := make([]string, len(vs))
		for i, v := range vs {
			shape[i] = "<token>"
			if v == "" {
				shape[i] = "<empty>"
			}
		}
		parts = append(parts, jwtHeader+": "+strings.Join(shape, ", "))
	}
	slices.Sort(parts)
	return strings.Join(parts, "; ")
}

// serveReference serves routes behind the core's net/http Middleware: the
// reference every integration is compared with.
func serveReference(t testing.TB, st *sessions.Store, routes []Route) string {
	mux := http.NewServeMux()
	for _, rt := range routes {
		mux.HandleFunc(rt.Method+" "+rt.Path, func(w http.ResponseWriter, r *http.Request) {
			_ = r.ParseForm() // the kit's own requests: a form that parses
			status, body := rt.Handle(sessions.FromContext(r.Context()), r.Form)
			if err, ok := body.(error); ok && sessions.IsSessionError(err) {
				sessions.WriteError(w, err)
				return
			}
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(status)
			_ = json.NewEncoder(w).Encode(body) // the kit's own values, and a client that reads them
		})
	}
	srv := httptest.NewServer(sessions.Middleware(st, sessions.MiddlewareOptions{})(mux))
	t.Cleanup(srv.Close)
	return srv.URL
}
