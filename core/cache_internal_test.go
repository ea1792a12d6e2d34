package sessions

import (
	"context"
	"testing"
	"time"
)

// liveCache is a localCache whose stream counts as confirmed now, without
// a connection.
func liveCache(size int) *localCache {
	c := &localCache{max: size, lag: time.Hour, entries: make(map[string]cacheEntry)}
	c.confirmed.Store(time.Now().UnixNano())
	return c
}

func testRecord(now time.Time) *record {
	return &record{created: now, seen: now, deadline: now.Add(time.Hour), expires: now.Add(time.Hour), values: map[string]string{"d:n": "1"}}
}

// TestCachePlaceholder: a record loaded while its key was invalidated, or
// written by this process, or while the cache was flushed, is not cached.
func TestCachePlaceholder(t *testing.T) {
	now := time.Now()
	for name, meanwhile := range map[string]func(c *localCache){
		"invalidated": func(c *localCache) { c.forget("k") },
		"flushed":     func(c *localCache) { c.flush() },
		"reloaded":    func(c *localCache) { c.get("k", now, time.Hour) }, // a second load's placeholder
		"down":        func(c *localCache) { c.down() },
	} {
		c := liveCache(10)
		_, owner := c.get("k", now, time.Hour)
		if owner == 0 {
			t.Fatalf("%s: no placeholder", name)
		}
		meanwhile(c)
		c.put("k", owner, testRecord(now))
		c.confirmed.Store(time.Now().UnixNano())
		if rec, _ := c.get("k", now, time.Hour); rec != nil {
			t.Errorf("%s: the record loaded meanwhile was served", name)
		}
	}
	c := liveCache(10)
	_, owner := c.get("k", now, time.Hour)
	c.put("k", owner, testRecord(now))
	rec, _ := c.get("k", now, time.Hour)
	if rec == nil || rec.values["d:n"] != "1" {
		t.Fatalf("undisturbed load not cached: %+v", rec)
	}
	rec.values["d:n"] = "changed" // a session's changes must not reach the entry
	if again, _ := c.get("k", now, time.Hour); again == nil || again.values["d:n"] != "1" {
		t.Errorf("a hit's values are shared with the cache")
	}
}

// TestCacheTimeoutsChecked: a cached record past its idle timeout or its
// deadline is not served, whatever the server has said.
func TestCacheTimeoutsChecked(t *testing.T) {
	now := time.Now()
	for _, tc := range []struct {
		name        string
		idle, later time.Duration
	}{{"idle", 10 * time.Minute, 10 * time.Minute}, {"deadline", 2 * time.Hour, time.Hour}, {"ttl", 2 * time.Hour, 20 * time.Minute}} {
		name, idle, later := tc.name, tc.idle, tc.later
		c := liveCache(10)
		_, owner := c.get("k", now, idle)
		rec := testRecord(now)
		if name == "ttl" {
			// The server's TTL, as read at load, ends first: another
			// instance wrote it with a shorter idle timeout.
			rec.expires = now.Add(20 * time.Minute)
		}
		c.put("k", owner, rec)
		if got, _ := c.get("k", now.Add(later-time.Millisecond), idle); got == nil {
			t.Errorf("%s: not served just before the timeout", name)
		}
		if got, _ := c.get("k", now.Add(later), idle); got != nil {
			t.Errorf("%s: served at the timeout", name)
		}
	}
}

// TestCacheNoTTLNotCached: a record loaded without a TTL is not cached.
func TestCacheNoTTLNotCached(t *testing.T) {
	now := time.Now()
	c := liveCache(10)
	_, owner := c.get("k", now, time.Hour)
	rec := testRecord(now)
	rec.expires = time.Time{}
	c.put("k", owner, rec)
	if got, _ := c.get("k", now, time.Hour); got != nil {
		t.Error("a record without a TTL was served from the cache")
	}
}

// TestCacheNotLive: without a confirmed stream, nothing is served or cached.
func TestCacheNotLive(t *testing.T) {
	now := time.Now()
	c := liveCache(10)
	_, owner := c.get("k", now, time.Hour)
	c.put("k", owner, testRecord(now))
	c.confirmed.Store(time.Now().Add(-2 * c.lag).UnixNano())
	if got, owner := c.get("k", now, time.Hour); got != nil || owner != 0 {
		t.Errorf("stale stream: served %v, placeholder %d", got, owner)
	}
}

// TestCacheBounded: the cache holds at most max entries.
func TestCacheBounded(t *testing.T) {
	now := time.Now()
	c := liveCache(5)
	for i := range 50 {
		k := string(rune('a' + i))
		_, owner := c.get(k, now, time.Hour)
		c.put(k, owner, testRecord(now))
	}
	if n := len(c.entries); n > 5 {
		t.Errorf("%d entries, max 5", n)
	}
}

// TestCacheHitRereadAfterRenewElsewhere (issue 17): a session keeps its key
// across Renew, so another instance's cache may still hold the record with
// the old verifier when the new credential first reaches it (before the
// invalidation does). The hit must not read as a missing session: a
// cached record the credential does not verify is read again.
func TestCacheHitRereadAfterRenewElsewhere(t *testing.T) {
	st := internalStore(t)
	st.cache = liveCache(10)
	ctx := context.Background()
	now := time.Now()
	cred := newCredential()
	key := storeKey(st.opts.KeyPrefix, cred)
	created := writeReq{mode: modeCreate, verifier: cred.verifier(), created: now, deadline: now.Add(time.Hour), ops: []any{"s", "d:n", "1"}}
	if _, err := st.write(ctx, key, now, created); err != nil {
		t.Fatal(err)
	}
	if rec, err := st.load(ctx, key, cred, now); err != nil || rec == nil {
		t.Fatalf("first load: %v, %v", rec, err)
	}
	stale := st.cache.entries[key] // the record with the old verifier
	if stale.rec == nil {
		t.Fatal("the record was not cached")
	}
	// Another instance renews: the record gets the new verifier.
	next := cred.renewed()
	if _, err := st.write(ctx, key, now, writeReq{mode: modeUpdate, verifier: cred.verifier(), renew: next.verifier()}); err != nil {
		t.Fatal(err)
	}
	st.cache.entries[key] = stale // the invalidation has not come yet
	rec, err := st.load(ctx, key, next, now)
	if err != nil || rec == nil || rec.values["d:n"] != "1" {
		t.Fatalf("the new credential against a stale cached record: %+v, %v; want the session, read again", rec, err)
	}
	if rec, _ := st.load(ctx, key, cred, now); rec != nil {
		t.Error("the old credential verifies against the record read again")
	}
}
