package sessions_test

import (
	"context"
	"expvar"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	sessions "github.com/gosessions/sessions/core"
)

// recorder collects a store's events.
type recorder struct {
	mu     sync.Mutex
	events []sessions.Event
}

func (r *recorder) on(_ context.Context, e sessions.Event) {
	r.mu.Lock()
	r.events = append(r.events, e)
	r.mu.Unlock()
}

// take returns and forgets the events so far, as "kind[:reason|op]".
func (r *recorder) take() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []string
	for _, e := range r.events {
		s := e.Kind.String()
		if e.Reason != "" {
			s += ":" + e.Reason
		}
		if e.Op != "" {
			s += ":" + e.Op
		}
		out = append(out, s)
	}
	r.events = nil
	return out
}

// Every lifecycle event reaches OnEvent, with the reason of a refusal (a
// cookie sealed with another secret shows as "not authentic", not as a
// random logout), and none holds a token.
func TestEvents(t *testing.T) {
	t.Parallel()
	var rec recorder
	prefix := testPrefix(t)
	st, _ := newCookieStore(t, sessions.StoreOptions{KeyPrefix: prefix, OnEvent: rec.on}, sessions.CookieOptions{})
	other, _ := newCookieStore(t, sessions.StoreOptions{KeyPrefix: prefix},
		sessions.CookieOptions{Secrets: [][]byte{[]byte("another secret, 32 bytes or more!")}})
	cookies := exchange(t, st, nil, func(s *sessions.Session) { s.Set("a", 1) }).Result().Cookies()
	if got := strings.Join(rec.take(), ","); got != "created" {
		t.Errorf("create: events %q", got)
	}
	renewed := exchange(t, st, cookies, func(s *sessions.Session) { s.Renew() }).Result().Cookies()
	if got := strings.Join(rec.take(), ","); got != "renewed" {
		t.Errorf("renew: events %q", got)
	}
	exchange(t, st, cookies, func(s *sessions.Session) { sessions.Get[int](s, "a") })
	if got := strings.Join(rec.take(), ","); got != "missing" {
		t.Errorf("the renewed-away id: events %q, want missing", got)
	}
	foreign := exchange(t, other, nil, func(s *sessions.Session) { s.Set("a", 1) }).Result().Cookies()
	exchange(t, st, foreign, func(s *sessions.Session) { sessions.Get[int](s, "a") })
	exchange(t, st, []*http.Cookie{{Name: "session", Value: "garbage"}}, func(s *sessions.Session) { sessions.Get[int](s, "a") })
	if got := strings.Join(rec.take(), ","); got != "refused:not authentic,refused:malformed" {
		t.Errorf("foreign and garbage cookies: events %q", got)
	}
	exchange(t, st, renewed, func(s *sessions.Session) { s.Destroy() })
	if got := strings.Join(rec.take(), ","); got != "destroyed" {
		t.Errorf("destroy: events %q", got)
	}
	// A store that is down: the failed call, with its latency.
	dead, _ := sessions.NewClient("redis://127.0.0.1:1/0")
	defer dead.Close()
	down, _ := sessions.NewCookieStore(dead, sessions.StoreOptions{KeyPrefix: prefix, OnEvent: rec.on, Timeout: 200 * time.Millisecond},
		sessions.CookieOptions{Secrets: [][]byte{testSecret()}})
	s, _, _ := load(down, cookies)
	sessions.Get[int](s, "a")
	rec.mu.Lock()
	evs := rec.events
	rec.mu.Unlock()
	if len(evs) != 1 || evs[0].Kind != sessions.EventStoreError || evs[0].Op != "load" || evs[0].Duration <= 0 || evs[0].Err == nil {
		t.Errorf("store down: events %+v, want one store error of the load, with its duration", evs)
	}
	for _, e := range evs {
		if e.Err != nil && strings.Contains(e.Err.Error(), cookies[0].Value) {
			t.Error("an event's error holds the cookie")
		}
	}
}

// Counting events, and publishing the counts as metrics with expvar (at
// /debug/vars); any metrics library fits the same hook.
func ExampleStoreOptions_onEvent() {
	events := expvar.NewMap("sessions_events") // by kind, and refusals by reason
	so := sessions.StoreOptions{
		OnEvent: func(_ context.Context, e sessions.Event) {
			events.Add(e.Kind.String(), 1)
			if e.Kind == sessions.EventRefused {
				events.Add("refused: "+e.Reason, 1)
			}
		},
	}
	_ = so // sessions.NewCookieStore(client, so, co)
	so.OnEvent(context.Background(), sessions.Event{Kind: sessions.EventCreated})
	so.OnEvent(context.Background(), sessions.Event{Kind: sessions.EventRefused, Reason: "not authentic"})
	fmt.Println(events.Get("created"), events.Get("refused"), events.Get("refused: not authentic"))
	// Output: 1 1 1
}
