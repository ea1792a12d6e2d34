package sessionstest

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"
)

// client is one HTTP client of the server under test. It holds its token
// itself (no cookie jar): it sends it with every request and takes the
// token each response sets, or drops it when a response clears it.
type client struct {
	t     testing.TB
	tk    *transportKit
	hc    *http.Client
	base  string
	extra http.Header // sent with every request

	mu       sync.Mutex
	token    string
	hasToken bool // send token, even when empty
}

// reply is one response, its JSON body decoded.
type reply struct {
	status  int
	body    map[string]any
	resp    *http.Response // its body already read
	raw     []byte         // the body as sent
	token   string         // the token the response set, if set
	set     bool
	cleared bool
}

func (c *client) setToken(token string) {
	c.mu.Lock()
	c.token, c.hasToken = token, true
	c.mu.Unlock()
}

// current returns the token the client holds ("" for none).
func (c *client) current() string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.token
}

// do sends one request and fails the test if it gets no JSON response.
// GET sends form in the query; POST sends it as the request body. Call it
// only from the test's goroutine; other goroutines use try.
func (c *client) do(method, path string, form url.Values) reply {
	c.t.Helper()
	r, err := c.try(method, path, form)
	if err != nil {
		c.t.Fatalf("%s %s: %v", method, path, err)
	}
	return r
}

// try is do that returns its error instead.
func (c *client) try(method, path string, form url.Values) (reply, error) {
	var (
		req *http.Request
		err error
	)
	if method == http.MethodGet {
		u := c.base + path
		if len(form) > 0 {
			u += "?" + form.Encode()
		}
		req, err = http.NewRequest(method, u, nil)
	} else {
		req, err = http.NewRequest(method, c.base+path, strings.NewReader(form.Encode()))
		if err == nil {
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		}
	}
	if err != nil {
		return reply{}, err
	}
	for k, vs := range c.extra {
		req.Header[k] = append(req.Header[k], vs...)
	}
	c.mu.Lock()
	if c.hasToken {
		c.tk.attach(req, c.token)
	}
	c.mu.Unlock()

	resp, err := c.hc.Do(req)
	if err != nil {
		return reply{}, err
	}
	data, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	_ = resp.Body.Close() // read to the end already
	if err != nil {
		return reply{}, fmt.Errorf("status %d: reading the body: %w", resp.StatusCode, err)
	}
	r := reply{status: resp.StatusCode, resp: resp, raw: data}
	if ct := resp.Header.Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
		return r, fmt.Errorf("status %d: Content-Type %q, want application/json (body %.200q)", resp.StatusCode, ct, data)
	}
	if err := json.Unmarshal(data, &r.body); err != nil {
		return r, fmt.Errorf("status %d: body is not a JSON object: %.200q", resp.StatusCode, data)
	}
	r.token, r.set, r.cleared = c.tk.read(resp)
	c.mu.Lock()
	switch {
	case r.set:
		c.token, c.hasToken = r.token, true
	case r.cleared:
		c.token, c.hasToken = "", false
	}
	c.mu.Unlock()
	return r, nil
}

// set stores k=v through the /set route and fails the test unless it
// answers 200.
func (c *client) set(k, v string) reply {
	c.t.Helper()
	r := c.do(http.MethodPost, "/set", url.Values{"k": {k}, "v": {v}})
	if r.status != http.StatusOK {
		c.t.Fatalf("POST /set %s: status %d, want 200; body %v", k, r.status, r.body)
	}
	return r
}

// get reads k through the /get route and fails the test unless it
// answers 200. It reports the value and whether it was found.
func (c *client) get(k string) (string, bool) {
	c.t.Helper()
	r := c.do(http.MethodGet, "/get", url.Values{"k": {k}})
	if r.status != http.StatusOK {
		c.t.Fatalf("GET /get %s: status %d, want 200; body %v", k, r.status, r.body)
	}
	return r.str("v"), r.bool("found")
}

// wantValue fails the test unless k reads as v.
func (c *client) wantValue(k, v string) {
	c.t.Helper()
	got, ok := c.get(k)
	if !ok || got != v {
		c.t.Errorf("GET /get %s = %q, found %v; want %q, found", k, got, ok, v)
	}
}

// wantAbsent fails the test unless k is absent.
func (c *client) wantAbsent(k string) {
	c.t.Helper()
	if got, ok := c.get(k); ok {
		c.t.Errorf("GET /get %s = %q, found; want absent", k, got)
	}
}

func (r reply) bool(key string) bool {
	b, _ := r.body[key].(bool)
	return b
}

func (r reply) str(key string) string {
	s, _ := r.body[key].(string)
	return s
}

func (r reply) num(key string) int64 {
	f, _ := r.body[key].(float64)
	return int64(f)
}

func (r reply) strs(key string) []string {
	arr, _ := r.body[key].([]any)
	out := make([]string, 0, len(arr))
	for _, v := range arr {
		s, _ := v.(string)
		out = append(out, s)
	}
	return out
}
