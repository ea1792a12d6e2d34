package sessions_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	sessions "github.com/gosessions/sessions/core"
)

func TestRoundTrip(t *testing.T) {
	t.Parallel()
	st, _ := newCookieStore(t, sessions.StoreOptions{}, sessions.CookieOptions{})
	w := exchange(t, st, nil, func(s *sessions.Session) {
		if err := s.Set("user", "ada"); err != nil {
			t.Fatal(err)
		}
		if !s.IsNew() {
			t.Error("a first visit is not new")
		}
	})
	cookies := w.Result().Cookies()
	if len(cookies) != 1 {
		t.Fatalf("want 1 cookie, got %d", len(cookies))
	}
	exchange(t, st, cookies, func(s *sessions.Session) {
		v, ok, err := sessions.Get[string](s, "user")
		if err != nil || !ok || v != "ada" {
			t.Fatalf("Get = %q, %v, %v", v, ok, err)
		}
		if s.IsNew() {
			t.Error("a stored session reads as new")
		}
		if s.CreatedAt().IsZero() || s.LastSeen().IsZero() || s.Deadline().IsZero() {
			t.Error("metadata missing")
		}
		n, err := s.Incr("count", 2)
		if err != nil || n != 2 {
			t.Fatalf("Incr = %d, %v", n, err)
		}
		if v, _, _ := sessions.Get[int](s, "count"); v != 2 {
			t.Fatalf("Get after Incr = %d", v)
		}
	})
}

func TestOptionsRefused(t *testing.T) {
	t.Parallel()
	client := testClient(t)
	co := sessions.CookieOptions{Secrets: [][]byte{testSecret()}}
	for name, so := range map[string]sessions.StoreOptions{
		"absolute shorter than idle": {IdleTimeout: time.Hour, AbsoluteTimeout: time.Minute},
		"negative idle":              {IdleTimeout: -time.Second},
		"negative size":              {MaxSize: -1},
		"negative timeout":           {Timeout: -1},
		"timeout below 1ms":          {Timeout: 500 * time.Microsecond},
		"idle of 200 years":          {IdleTimeout: 200 * 365 * 24 * time.Hour},
		"absolute of 200 years":      {AbsoluteTimeout: 200 * 365 * 24 * time.Hour},
		"refresh past idle":          {IdleTimeout: time.Minute, RefreshInterval: time.Hour},
		"braces in the prefix":       {KeyPrefix: "app{1}:"},
	} {
		if _, err := sessions.NewCookieStore(client, so, co); !errors.Is(err, sessions.ErrInvalidOptions) {
			t.Errorf("%s: err = %v, want ErrInvalidOptions", name, err)
		}
	}
	if _, err := sessions.NewCookieStore(nil, sessions.StoreOptions{}, co); !errors.Is(err, sessions.ErrInvalidOptions) {
		t.Errorf("nil client: err = %v", err)
	}
	st, err := sessions.NewCookieStore(client, sessions.StoreOptions{}, co)
	if err != nil {
		t.Fatal(err)
	}
	o := st.Options()
	if o.KeyPrefix != sessions.DefaultKeyPrefix || o.IdleTimeout != sessions.DefaultIdleTimeout ||
		o.AbsoluteTimeout != sessions.DefaultAbsoluteTimeout || o.MaxSize != sessions.DefaultMaxSize ||
		o.Timeout != sessions.DefaultTimeout || o.Codec == nil {
		t.Errorf("defaults not applied: %+v", o)
	}
}

// A timeout left zero follows the one the user set (issue 6, item 10):
// only an explicit contradiction is refused, naming both values.
func TestOptionsDerivedDefaults(t *testing.T) {
	t.Parallel()
	client := testClient(t)
	co := sessions.CookieOptions{Secrets: [][]byte{testSecret()}}
	for _, tc := range []struct {
		so             sessions.StoreOptions
		idle, absolute time.Duration
	}{
		{sessions.StoreOptions{AbsoluteTimeout: 10 * time.Minute}, 10 * time.Minute, 10 * time.Minute},
		{sessions.StoreOptions{IdleTimeout: 48 * time.Hour}, 48 * time.Hour, 48 * time.Hour},
		{sessions.StoreOptions{IdleTimeout: time.Minute}, time.Minute, sessions.DefaultAbsoluteTimeout},
		{sessions.StoreOptions{AbsoluteTimeout: 7 * 24 * time.Hour}, sessions.DefaultIdleTimeout, 7 * 24 * time.Hour},
	} {
		st, err := sessions.NewCookieStore(client, tc.so, co)
		if err != nil {
			t.Errorf("%+v: refused: %v", tc.so, err)
			continue
		}
		if o := st.Options(); o.IdleTimeout != tc.idle || o.AbsoluteTimeout != tc.absolute {
			t.Errorf("%+v: idle %v, absolute %v; want %v, %v", tc.so, o.IdleTimeout, o.AbsoluteTimeout, tc.idle, tc.absolute)
		}
	}
	_, err := sessions.NewCookieStore(client, sessions.StoreOptions{IdleTimeout: time.Hour, AbsoluteTimeout: time.Minute}, co)
	if !errors.Is(err, sessions.ErrInvalidOptions) || !strings.Contains(err.Error(), "1m0s") || !strings.Contains(err.Error(), "1h0m0s") {
		t.Errorf("explicit contradiction: %v", err)
	}
}

// A cookie Path without a leading slash, or an attribute net/http would
// drop, is refused (issue 6, item 9).
func TestCookieAttributesRefused(t *testing.T) {
	t.Parallel()
	client := testClient(t)
	for name, co := range map[string]sessions.CookieOptions{
		"relative path":     {Path: "app"},
		"path with ;":       {Path: "/a;b"},
		"domain with space": {Domain: "example .com"},
	} {
		co.Secrets = [][]byte{testSecret()}
		if _, err := sessions.NewCookieStore(client, sessions.StoreOptions{}, co); !errors.Is(err, sessions.ErrInvalidOptions) {
			t.Errorf("%s: err = %v, want ErrInvalidOptions", name, err)
		}
	}
}

func TestNewClientURL(t *testing.T) {
	t.Parallel()
	for _, u := range []string{"redis://127.0.0.1:1/0", "rediss://127.0.0.1:1", "redict://127.0.0.1:1/2", "redicts://u:p@127.0.0.1:1"} {
		c, err := sessions.NewClient(u)
		if err != nil {
			t.Errorf("%s: %v", u, err)
			continue
		}
		c.Close()
	}
	_, err := sessions.NewClient("http://user:hunter2@127.0.0.1")
	if err == nil || strings.Contains(err.Error(), "hunter2") {
		t.Errorf("bad scheme: err = %v (must fail without echoing the URL)", err)
	}
	// The Cluster and Sentinel forms (../shared/CONTRACT.md).
	for _, u := range []string{
		"redis+cluster://127.0.0.1:1,127.0.0.1:2",
		"redis+cluster://u:p@127.0.0.1:1,127.0.0.1:2/?dial_timeout=1s&pool_size=5",
		"rediss+cluster://127.0.0.1:1",
		"redis+sentinel://127.0.0.1:1,127.0.0.1:2/mymaster",
		"redis+sentinel://u:p@127.0.0.1:1/mymaster/3?sentinel_password=x&read_timeout=2s",
		"rediss+sentinel://127.0.0.1:1/mymaster/0",
	} {
		c, err := sessions.NewClient(u)
		if err != nil {
			t.Errorf("%s: %v", u, err)
			continue
		}
		c.Close()
	}
	// Errors say what is wrong, never echoing a credential (issue 6,
	// item 11).
	for u, want := range map[string]string{
		"":                           "empty",
		"127.0.0.1:6379":             "no scheme",
		"http://u:hunter2@127.0.0.1": "redis, rediss",
		"redis://":                   "no host",
		"redis://u:hunter2@127.0.0.1:1,127.0.0.1:2": "several hosts",
		"redis+cluster://u:hunter2@127.0.0.1":       "host:port",
		"redis+cluster://127.0.0.1:1/2":             "no database",
		"redis+sentinel://u:hunter2@127.0.0.1:1":    "MASTER",
		"redis://u:hunter2@127.0.0.1:1/0?bogus=1":   "bogus",
		"redis://u:hunter2@127.0.0.1:1/x":           "invalid",
		"redis://u:hunter2@127.0.0.1:1/%zz":         "does not parse",
	} {
		_, err := sessions.NewClient(u)
		switch {
		case !errors.Is(err, sessions.ErrInvalidOptions):
			t.Errorf("%q: err = %v, want ErrInvalidOptions", u, err)
		case !strings.Contains(err.Error(), want):
			t.Errorf("%q: err = %q, want it to say %q", u, err, want)
		case strings.Contains(err.Error(), "hunter2"):
			t.Errorf("%q: the error echoes the password: %q", u, err)
		}
	}
}

func TestAccessors(t *testing.T) {
	t.Parallel()
	st, _ := newCookieStore(t, sessions.StoreOptions{}, sessions.CookieOptions{})
	cookies := exchange(t, st, nil, func(s *sessions.Session) {
		s.Set("a", 1)
		s.Set("b", "two")
		s.Set("gone", true)
		s.Delete("gone")
		if err := s.AddFlash("saved"); err != nil {
			t.Fatal(err)
		}
	}).Result().Cookies()
	exchange(t, st, cookies, func(s *sessions.Session) {
		keys, err := s.Keys()
		if err != nil || strings.Join(keys, ",") != "a,b" {
			t.Fatalf("Keys = %v, %v", keys, err)
		}
		if v, ok, err := sessions.Pop[string](s, "b"); v != "two" || !ok || err != nil {
			t.Fatalf("Pop = %q %v %v", v, ok, err)
		}
		if _, err := s.Incr("b2", 1); err != nil {
			t.Fatal(err)
		}
		if _, err := s.Incr("b", 1); err != nil {
			t.Fatal("Incr on a popped key", err)
		}
		if msgs, err := s.Flashes(); err != nil || len(msgs) != 1 || msgs[0] != "saved" {
			t.Fatalf("Flashes = %v, %v", msgs, err)
		}
	})
	exchange(t, st, cookies, func(s *sessions.Session) {
		if msgs, _ := s.Flashes(); len(msgs) != 0 {
			t.Fatalf("flash read twice: %v", msgs)
		}
		if _, err := s.Incr("missing-int", 1); err != nil {
			t.Fatal(err)
		}
		if _, err := s.Incr("a", 1); err != nil {
			t.Fatal(err)
		}
		s.Set("s", "text")
	})
	exchange(t, st, cookies, func(s *sessions.Session) {
		if _, err := s.Incr("s", 1); !errors.Is(err, sessions.ErrNotInteger) {
			t.Fatalf("Incr on a string: %v, want ErrNotInteger", err)
		}
		if v, _, _ := sessions.Get[int](s, "a"); v != 2 {
			t.Fatalf("a = %d, want 2", v)
		}
		s.Clear()
		s.Set("after", "clear")
	})
	exchange(t, st, cookies, func(s *sessions.Session) {
		keys, err := s.Keys()
		if err != nil || strings.Join(keys, ",") != "after" {
			t.Fatalf("after Clear, Keys = %v, %v", keys, err)
		}
	})
}

func TestSetRefusals(t *testing.T) {
	t.Parallel()
	st, _ := newCookieStore(t, sessions.StoreOptions{MaxSize: 100}, sessions.CookieOptions{})
	exchange(t, st, nil, func(s *sessions.Session) {
		if err := s.Set("ch", make(chan int)); !errors.Is(err, sessions.ErrEncode) {
			t.Errorf("Set(chan) = %v, want ErrEncode", err)
		}
		if err := s.Set("big", strings.Repeat("x", 200)); !errors.Is(err, sessions.ErrTooLarge) {
			t.Errorf("Set(200 bytes) = %v, want ErrTooLarge", err)
		}
	})
	var nilSession *sessions.Session
	if err := nilSession.Set("a", 1); !errors.Is(err, sessions.ErrNoSession) {
		t.Errorf("nil session Set = %v", err)
	}
	if _, _, err := sessions.Get[int](nilSession, "a"); !errors.Is(err, sessions.ErrNoSession) {
		t.Errorf("nil session Get = %v", err)
	}
	if sessions.FromContext(context.Background()) != nil {
		t.Error("FromContext without a session is not nil")
	}
}

// TestSaveNeverResurrects: a save to a session destroyed meanwhile by
// another request does not bring its data back; it starts a new session
// holding only what the late request wrote.
func TestSaveNeverResurrects(t *testing.T) {
	t.Parallel()
	st, client := newCookieStore(t, sessions.StoreOptions{}, sessions.CookieOptions{})
	cookies := exchange(t, st, nil, func(s *sessions.Session) { s.Set("user", "ada") }).Result().Cookies()

	r := httptest.NewRequest(http.MethodGet, "/", nil)
	r.AddCookie(cookies[0])
	w := httptest.NewRecorder()
	late := st.Load(context.Background(), sessions.HTTPCarrier(w, r))
	if _, _, err := sessions.Get[string](late, "user"); err != nil {
		t.Fatal(err)
	}
	exchange(t, st, cookies, func(s *sessions.Session) { s.Destroy() }) // logout elsewhere
	late.Set("cart", "tea")
	if err := st.Save(context.Background(), sessions.HTTPCarrier(w, r), late); err != nil {
		t.Fatal(err)
	}
	fresh := w.Result().Cookies()
	if len(fresh) != 1 || fresh[0].Value == cookies[0].Value {
		t.Fatal("the late save did not start a new session")
	}
	exchange(t, st, fresh, func(s *sessions.Session) {
		if _, ok, _ := sessions.Get[string](s, "user"); ok {
			t.Error("the destroyed session's user came back")
		}
		if v, _, _ := sessions.Get[string](s, "cart"); v != "tea" {
			t.Error("the late write was lost")
		}
	})
	exchange(t, st, cookies, func(s *sessions.Session) {
		if !s.IsNew() {
			t.Error("the destroyed id was recreated")
		}
	})
	if keys := recordKeys(t, st, client); len(keys) != 1 {
		t.Fatalf("records = %d; want exactly the new session's", len(keys))
	}
}

func TestRenewKeepsDataAndDeadline(t *testing.T) {
	t.Parallel()
	st, _ := newCookieStore(t, sessions.StoreOptions{}, sessions.CookieOptions{})
	var created, deadline time.Time
	cookies := exchange(t, st, nil, func(s *sessions.Session) { s.Set("cart", "tea") }).Result().Cookies()
	exchange(t, st, cookies, func(s *sessions.Session) { created, deadline = s.CreatedAt(), s.Deadline() })
	renewed := exchange(t, st, cookies, func(s *sessions.Session) {
		if err := s.Renew(); err != nil {
			t.Fatal(err)
		}
		s.Set("user", "ada")
	}).Result().Cookies()
	if len(renewed) != 1 || renewed[0].Value == cookies[0].Value {
		t.Fatal("renew issued no new cookie")
	}
	exchange(t, st, renewed, func(s *sessions.Session) {
		cart, _, _ := sessions.Get[string](s, "cart")
		user, _, _ := sessions.Get[string](s, "user")
		if cart != "tea" || user != "ada" {
			t.Errorf("after renew: cart %q user %q", cart, user)
		}
		if !s.CreatedAt().Equal(created) || !s.Deadline().Equal(deadline) {
			t.Error("renew moved the creation time or the absolute deadline")
		}
	})
}

// TestIncrConcurrent: increments from concurrent requests, including on a
// session not loaded yet, are never lost.
func TestIncrConcurrent(t *testing.T) {
	t.Parallel()
	st, _ := newCookieStore(t, sessions.StoreOptions{}, sessions.CookieOptions{})
	cookies := exchange(t, st, nil, func(s *sessions.Session) { s.Set("x", 0) }).Result().Cookies()
	var wg sync.WaitGroup
	for range 40 {
		wg.Go(func() {
			exchange(t, st, cookies, func(s *sessions.Session) {
				if _, err := s.Incr("n", 1); err != nil {
					t.Error(err)
				}
			})
		})
	}
	wg.Wait()
	exchange(t, st, cookies, func(s *sessions.Session) {
		if n, _, _ := sessions.Get[int](s, "n"); n != 40 {
			t.Fatalf("n = %d, want 40", n)
		}
	})
}

// TestSessionConcurrentUse: one Session used from several goroutines of a
// request (run with -race).
func TestSessionConcurrentUse(t *testing.T) {
	t.Parallel()
	st, _ := newCookieStore(t, sessions.StoreOptions{}, sessions.CookieOptions{})
	exchange(t, st, nil, func(s *sessions.Session) {
		var wg sync.WaitGroup
		for i := range 8 {
			wg.Go(func() {
				s.Set(string(rune('a'+i)), i)
				sessions.Get[int](s, "a")
				s.Keys()
			})
		}
		wg.Wait()
		if keys, _ := s.Keys(); len(keys) != 8 {
			t.Fatalf("keys = %v", keys)
		}
	})
}

func TestIncompatibleRecord(t *testing.T) {
	t.Parallel()
	st, client := newCookieStore(t, sessions.StoreOptions{}, sessions.CookieOptions{})
	cookies := exchange(t, st, nil, func(s *sessions.Session) { s.Set("a", 1) }).Result().Cookies()
	ctx := context.Background()
	keys := recordKeys(t, st, client)
	if len(keys) != 1 {
		t.Fatalf("keys = %v", keys)
	}
	client.HSet(ctx, keys[0], "_m", "99.0.99999999999999")
	r := httptest.NewRequest(http.MethodGet, "/", nil)
	r.AddCookie(cookies[0])
	w := httptest.NewRecorder()
	s := st.Load(ctx, sessions.HTTPCarrier(w, r))
	if _, _, err := sessions.Get[int](s, "a"); !errors.Is(err, sessions.ErrIncompatibleRecord) {
		t.Fatalf("Get on a future record: %v", err)
	}
	if err := st.Save(ctx, sessions.HTTPCarrier(w, r), s); err == nil {
		t.Fatal("Save after a failed load succeeded")
	}
}

func TestClearThenIncr(t *testing.T) {
	t.Parallel()
	st, _ := newCookieStore(t, sessions.StoreOptions{}, sessions.CookieOptions{})
	cookies := exchange(t, st, nil, func(s *sessions.Session) { s.Set("a", 1) }).Result().Cookies()
	exchange(t, st, cookies, func(s *sessions.Session) {
		s.Clear()
		if n, err := s.Incr("n", 3); n != 3 || err != nil {
			t.Fatalf("Incr after Clear = %d, %v", n, err)
		}
		if keys, _ := s.Keys(); strings.Join(keys, ",") != "n" {
			t.Fatalf("keys = %v", keys)
		}
	})
	exchange(t, st, cookies, func(s *sessions.Session) {
		if err := s.Destroy(); err != nil {
			t.Fatal(err)
		}
		if n, err := s.Incr("n", 1); n != 1 || err != nil {
			t.Fatalf("Incr after Destroy = %d, %v", n, err)
		}
	})
}

func TestPing(t *testing.T) {
	t.Parallel()
	st, _ := newCookieStore(t, sessions.StoreOptions{}, sessions.CookieOptions{})
	if err := st.Ping(context.Background()); err != nil {
		t.Fatal(err)
	}
	dead, err := sessions.NewClient("redis://127.0.0.1:1/0") // nothing listens on port 1
	if err != nil {
		t.Fatal(err)
	}
	defer dead.Close()
	down, err := sessions.NewCookieStore(dead, sessions.StoreOptions{Timeout: 500 * time.Millisecond},
		sessions.CookieOptions{Secrets: [][]byte{testSecret()}})
	if err != nil {
		t.Fatal(err)
	}
	if err := down.Ping(context.Background()); !errors.Is(err, sessions.ErrUnavailable) {
		t.Fatalf("Ping on a dead store = %v, want ErrUnavailable", err)
	}
}

// TestSizeAccounting: the stored size follows the data exactly, however
// many increments, sets and deletes it goes through, so a session is
// refused for its real size only.
func TestSizeAccounting(t *testing.T) {
	t.Parallel()
	st, client := newCookieStore(t, sessions.StoreOptions{MaxSize: 200}, sessions.CookieOptions{})
	cookies := exchange(t, st, nil, func(s *sessions.Session) { s.Set("a", "xyz") }).Result().Cookies()
	for i := range 150 {
		exchange(t, st, cookies, func(s *sessions.Session) {
			if _, err := s.Incr("n", 7); err != nil {
				t.Fatalf("Incr %d: %v", i, err)
			}
			if i%10 == 0 {
				s.Set("b", strings.Repeat("b", i%40))
				s.Delete("a")
			}
		})
	}
	ctx := context.Background()
	keys := recordKeys(t, st, client)
	if len(keys) != 1 {
		t.Fatalf("keys = %d", len(keys))
	}
	h, err := client.HGetAll(ctx, keys[0]).Result()
	if err != nil {
		t.Fatal(err)
	}
	want := 0
	for f, v := range h {
		if !strings.HasPrefix(f, "_") {
			want += len(f) + len(v)
		}
	}
	if h["_z"] != fmt.Sprint(want) {
		t.Fatalf("_z = %s, want %d (the data's real size)", h["_z"], want)
	}
}
