package main

// Testing handlers in-process against miniredis, an in-memory
// Redis-protocol server: what the README's "Testing handlers" shows. (The
// black-box contract test in ../internal/contract runs the built program
// against a real server.)

import (
	"io"
	"log/slog"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/alicebob/miniredis/v2"
	sessions "github.com/gosessions/sessions/core"
)

func TestHandlersWithMiniredis(t *testing.T) {
	m := miniredis.RunT(t)
	client, err := sessions.NewClient("redis://" + m.Addr())
	if err != nil {
		t.Fatal(err)
	}
	defer client.Close()
	store, err := sessions.NewCookieStore(client, sessions.StoreOptions{}, sessions.CookieOptions{
		Secrets: [][]byte{make([]byte, 32)}, DisableSecure: true,
	})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(routes(store, false, slog.New(slog.DiscardHandler)))
	defer srv.Close()
	jar, _ := cookiejar.New(nil)
	browser := &http.Client{Jar: jar} // carries the session cookie from request to request
	get := func(path string) string {
		t.Helper()
		resp, err := browser.Get(srv.URL + path)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return strings.TrimSpace(string(b))
	}
	if got := get("/api/count"); got != `{"count":1}` {
		t.Fatalf("first count: %s", got)
	}
	if got := get("/api/count"); got != `{"count":2}` {
		t.Fatalf("second count: %s", got)
	}
	// Past the idle timeout the session is gone: the count starts over.
	m.FastForward(31 * time.Minute)
	if got := get("/api/count"); got != `{"count":1}` {
		t.Fatalf("count after the idle timeout: %s, want a new session", got)
	}
}
