package sessionstest

import (
	"maps"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	sessions "github.com/gosessions/sessions/core"
)

// leaks reports whether s holds token or any substring of it of 16 bytes
// or more.
func leaks(s, token string) bool {
	const window = 16
	if len(token) < window {
		return token != "" && strings.Contains(s, token)
	}
	for i := 0; i+window <= len(token); i++ {
		if strings.Contains(s, token[i:i+window]) {
			return true
		}
	}
	return false
}

// checkStoreKeys: a session of values, a flash message and an increment
// is one key under the prefix, a record with a TTL within the idle
// timeout, and no key name, field or value holds the client's token or a
// piece of it.
func checkStoreKeys(t *testing.T, s *suite) {
	const idle = 10 * time.Minute
	f := s.setup(t, sessions.StoreOptions{IdleTimeout: idle})
	c := f.client(t)
	c.set("a", "hello")
	c.do(http.MethodPost, "/flash-add", url.Values{"m": {"note"}})
	c.do(http.MethodPost, "/incr", url.Values{"k": {"n"}})
	token := c.current()
	if token == "" {
		t.Fatal("no token issued")
	}
	secrets := []string{token}
	if s.tk.derived != nil {
		secrets = append(secrets, s.tk.derived(token)...)
	}
	if keys := f.raw.keys(t, f.so.KeyPrefix); len(keys) != 1 || !recordKey(f.so.KeyPrefix, keys[0]) {
		t.Fatalf("store holds %d keys under the test prefix, want the one record", len(keys))
	}
	for _, k := range f.raw.keys(t, f.so.KeyPrefix) {
		if len(f.raw.hgetall(t, k)) == 0 {
			t.Error("a session record is an empty hash")
		}
		if ttl := f.raw.pttl(t, k); ttl <= 0 || ttl > idle.Milliseconds() {
			t.Errorf("store key TTL = %d ms, want in (0, %d]", ttl, idle.Milliseconds())
		}
		for i, secret := range secrets {
			if leaks(k, secret) {
				t.Errorf("a store key name holds (part of) the token (or its secret %d)", i)
			}
			for _, v := range f.raw.contents(t, k) {
				if leaks(v, secret) {
					t.Errorf("a stored field or value holds (part of) the token (or its secret %d)", i)
				}
			}
		}
	}
}

// checkIdleExpiry: a session left alone for longer than the idle timeout
// is gone.
func checkIdleExpiry(t *testing.T, s *suite) {
	f := s.setup(t, sessions.StoreOptions{IdleTimeout: time.Second})
	c := f.client(t)
	c.set("a", "1")
	time.Sleep(1300 * time.Millisecond)
	c.wantAbsent("a")
	f.wantKeys(t, 0, "after the idle timeout")
}

// checkIdleRolling: a session used more often than the idle timeout lives
// on past it (rolling expiry), even when only read.
func checkIdleRolling(t *testing.T, s *suite) {
	f := s.setup(t, sessions.StoreOptions{IdleTimeout: 2 * time.Second})
	c := f.client(t)
	c.set("a", "1")
	start := time.Now()
	for time.Since(start) < 4500*time.Millisecond {
		time.Sleep(500 * time.Millisecond)
		if v, ok := c.get("a"); !ok || v != "1" {
			t.Fatalf("touched every 500 ms with a 2 s idle timeout: gone after %v", time.Since(start).Round(time.Millisecond))
		}
	}
}

// checkAbsoluteLifetime: however often it is used, a session ends at its
// absolute deadline, and its TTL never reaches past that deadline.
func checkAbsoluteLifetime(t *testing.T, s *suite) {
	const (
		idle     = time.Second
		absolute = 1500 * time.Millisecond
		every    = 300 * time.Millisecond
		slack    = 20 * time.Millisecond // clock steps between Go and the server
	)
	f := s.setup(t, sessions.StoreOptions{IdleTimeout: idle, AbsoluteTimeout: absolute})
	c := f.client(t)
	t0 := time.Now()
	c.set("a", "1")
	t1 := time.Now()
	key := f.onlyKey(t)
	// The deadline lies in [t0+absolute, t1+absolute].
	checkTTL := func(after string) {
		t.Helper()
		pb := time.Now()
		ttl := f.raw.pttl(t, key)
		if left := t1.Add(absolute).Sub(pb) + slack; ttl > left.Milliseconds() {
			t.Errorf("TTL after %s: %d ms, past the absolute deadline (at most %d ms left)", after, ttl, left.Milliseconds())
		}
		if ttl > idle.Milliseconds() {
			t.Errorf("TTL after %s: %d ms, more than the idle timeout", after, ttl)
		}
	}
	var lastAlive time.Duration
	for i := 1; ; i++ {
		time.Sleep(time.Until(t1.Add(time.Duration(i) * every)))
		before := time.Now()
		_, ok := c.get("a")
		after := time.Now()
		switch {
		case ok && before.After(t1.Add(absolute+slack)):
			t.Fatalf("alive %v after creation, past the %v absolute lifetime", before.Sub(t0).Round(time.Millisecond), absolute)
		case !ok && after.Before(t0.Add(absolute-slack)):
			t.Fatalf("gone %v after creation, before the %v absolute lifetime (touched every %v)", after.Sub(t0).Round(time.Millisecond), absolute, every)
		}
		if ok {
			lastAlive = before.Sub(t1)
			checkTTL("a read")
			// Writes set the TTL too; write while clear of the deadline.
			if time.Now().Before(t0.Add(absolute - 200*time.Millisecond)) {
				c.set("b", "1")
				checkTTL("a write")
			}
		}
		if before.Sub(t0) >= 1800*time.Millisecond {
			if ok {
				t.Fatalf("alive at %v, want gone", before.Sub(t0).Round(time.Millisecond))
			}
			break
		}
	}
	if lastAlive < idle {
		t.Errorf("last seen alive %v after creation; want the session to outlive the %v idle timeout while used", lastAlive.Round(time.Millisecond), idle)
	}
	f.wantKeys(t, 0, "after the absolute deadline")
}

// checkSize: a value larger than MaxSize is refused at Set (the route
// answers 413); a save that would pass MaxSize fails (the integration
// answers 413) and leaves the stored data as it was.
func checkSize(t *testing.T, s *suite) {
	const maxSize = 1024
	f := s.setup(t, sessions.StoreOptions{MaxSize: maxSize})

	t.Run("one-large-value", func(t *testing.T) {
		c := f.client(t)
		r := c.do(http.MethodPost, "/set", url.Values{"k": {"big"}, "v": {strings.Repeat("x", 2048)}})
		wantStatus(t, "POST /set of 2 KB", r, http.StatusRequestEntityTooLarge)
		wantNoToken(t, "POST /set of 2 KB", r)
	})

	// Three values of 300 bytes (302 encoded) fit in 1024 bytes with
	// their names; a fourth passes the limit.
	t.Run("session-grows-too-large", func(t *testing.T) {
		c := f.client(t)
		v := strings.Repeat("x", 300)
		c.set("k0", v)
		c.set("k1", v)
		c.set("k2", v)
		key := f.onlyKey(t)
		before := dataFields(f.raw.hgetall(t, key))
		if len(before) != 3 {
			t.Fatalf("the record holds %d data fields, want 3", len(before))
		}
		r := c.do(http.MethodPost, "/set", url.Values{"k": {"k3"}, "v": {v}})
		wantStatus(t, "POST /set of a fourth 300-byte value", r, http.StatusRequestEntityTooLarge)
		wantNoToken(t, "the failed save", r)
		if after := dataFields(f.raw.hgetall(t, key)); !maps.Equal(before, after) {
			t.Errorf("the failed save changed the stored data: %d fields before, %d after", len(before), len(after))
		}
		c.wantAbsent("k3")
		for _, k := range []string{"k0", "k1", "k2"} {
			c.wantValue(k, v)
		}
	})
}

// dataFields returns the fields of a stored record that hold session data
// (the ones whose names do not start with "_", the record's metadata).
func dataFields(h map[string]string) map[string]string {
	maps.DeleteFunc(h, func(k, _ string) bool { return strings.HasPrefix(k, "_") })
	return h
}
