package sessionstest

import (
	"context"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	sessions "github.com/gosessions/sessions/core"
)

// rawStore is the kit's own look at what the store holds, straight to the
// servers (not through a proxy), on every topology: a Cluster's keys are
// scanned on each primary.
type rawStore struct {
	c sessions.Client
}

// dialRESP returns the raw view of e's store, closed when t ends.
func dialRESP(t testing.TB, e *env) *rawStore {
	t.Helper()
	c, err := sessions.NewClient(e.raw)
	if err != nil {
		t.Fatal("sessionstest: REDICT_URL: the store URL is refused")
	}
	t.Cleanup(func() { _ = c.Close() }) // the test is over
	return &rawStore{c: c}
}

func rawCtx() (context.Context, context.CancelFunc) {
	return context.WithTimeout(context.Background(), 10*time.Second)
}

// keys returns every key that starts with prefix.
func (rs *rawStore) keys(t testing.TB, prefix string) []string {
	t.Helper()
	ctx, cancel := rawCtx()
	defer cancel()
	var keys []string
	scan := func(c redis.Cmdable) error {
		iter := c.Scan(ctx, 0, globEscape(prefix)+"*", 1000).Iterator()
		for iter.Next(ctx) {
			keys = append(keys, iter.Val())
		}
		return iter.Err()
	}
	var err error
	if cc, ok := rs.c.(*redis.ClusterClient); ok {
		var mu sync.Mutex
		err = cc.ForEachMaster(ctx, func(ctx context.Context, c *redis.Client) error {
			var got []string
			iter := c.Scan(ctx, 0, globEscape(prefix)+"*", 1000).Iterator()
			for iter.Next(ctx) {
				got = append(got, iter.Val())
			}
			mu.Lock()
			keys = append(keys, got...)
			mu.Unlock()
			return iter.Err()
		})
	} else {
		err = scan(rs.c)
	}
	if err != nil {
		t.Fatalf("sessionstest: SCAN: %v", err)
	}
	return keys
}

// pttl returns the key's time to live in milliseconds (-2: no key, -1:
// no TTL).
func (rs *rawStore) pttl(t testing.TB, key string) int64 {
	t.Helper()
	ctx, cancel := rawCtx()
	defer cancel()
	v, err := rs.c.Do(ctx, "PTTL", key).Int64()
	if err != nil {
		t.Fatalf("sessionstest: PTTL: %v", err)
	}
	return v
}

// hgetall returns the hash at key.
func (rs *rawStore) hgetall(t testing.TB, key string) map[string]string {
	t.Helper()
	ctx, cancel := rawCtx()
	defer cancel()
	h, err := rs.c.HGetAll(ctx, key).Result()
	if err != nil {
		t.Fatalf("sessionstest: HGETALL: %v", err)
	}
	return h
}

// contents returns every string a key holds, whatever its type (a
// record's fields and values, a journal entry's value, an index's
// members), for leak checks.
func (rs *rawStore) contents(t testing.TB, key string) []string {
	t.Helper()
	ctx, cancel := rawCtx()
	defer cancel()
	typ, err := rs.c.Type(ctx, key).Result()
	if err != nil {
		t.Fatalf("sessionstest: TYPE: %v", err)
	}
	switch typ {
	case "hash":
		var out []string
		for f, v := range rs.hgetall(t, key) {
			out = append(out, f, v)
		}
		return out
	case "string":
		v, err := rs.c.Get(ctx, key).Result()
		if err != nil && err != redis.Nil {
			t.Fatalf("sessionstest: GET: %v", err)
		}
		return []string{v}
	case "zset":
		v, err := rs.c.ZRange(ctx, key, 0, -1).Result()
		if err != nil {
			t.Fatalf("sessionstest: ZRANGE: %v", err)
		}
		return v
	case "none":
		return nil
	}
	t.Fatalf("sessionstest: key of type %s under the store's prefix", typ)
	return nil
}

// exists reports whether key exists.
func (rs *rawStore) exists(t testing.TB, key string) bool {
	t.Helper()
	ctx, cancel := rawCtx()
	defer cancel()
	n, err := rs.c.Exists(ctx, key).Result()
	if err != nil {
		t.Fatalf("sessionstest: EXISTS: %v", err)
	}
	return n == 1
}

// deletePrefix removes every key that starts with prefix; for cleanup, so
// it reports no error.
func (rs *rawStore) deletePrefix(t testing.TB, prefix string) {
	ctx, cancel := rawCtx()
	defer cancel()
	for _, k := range rs.keys(t, prefix) {
		rs.c.Del(ctx, k)
	}
}

// globEscape quotes the glob characters of s for MATCH.
func globEscape(s string) string {
	var b strings.Builder
	for _, r := range s {
		if strings.ContainsRune(`*?[]\`, r) {
			b.WriteByte('\\')
		}
		b.WriteRune(r)
	}
	return b.String()
}
