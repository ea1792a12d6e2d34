package sessions_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"errors"
	"log/slog"
	"net/url"
	"os"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	sessions "github.com/gosessions/sessions/core"
)

// aclUser creates a Redis user with the given ACL rules on the rig's
// single server, and returns a client that logs in as that user. The user
// is deleted when t ends.
func aclUser(t *testing.T, rules ...string) (redis.UniversalClient, string) {
	t.Helper()
	raw := os.Getenv("REDICT_URL")
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "redis" && u.Scheme != "redict") {
		t.Skip("ACL users need a single-node REDICT_URL; the single-node pass runs this")
	}
	admin := testClient(t)
	name := "sessions-test-" + strings.ToLower(rand.Text()[:10])
	pass := rand.Text()
	args := []any{"ACL", "SETUSER", name, "reset", "on", ">" + pass}
	for _, r := range rules {
		args = append(args, r)
	}
	if err := admin.Do(context.Background(), args...).Err(); err != nil {
		t.Fatalf("ACL SETUSER: %v", err)
	}
	t.Cleanup(func() { admin.Do(context.Background(), "ACL", "DELUSER", name) })
	u.User = url.UserPassword(name, pass)
	client, err := sessions.NewClient(u.String())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { client.Close() })
	return client, name
}

// Issue 16 item 4: with a Redis user that may not subscribe to the
// invalidation channel (Redis 7's default acl-pubsub-default
// resetchannels) or may not run CLIENT, LocalCache never served, silently.
// The constructor tries the stream once and refuses the option, naming
// the missing permission.
func TestLocalCacheRefusedWithoutPermission(t *testing.T) {
	for _, tc := range []struct {
		name  string
		rules []string
		want  string
	}{
		{"no channels", []string{"~*", "+@all", "resetchannels"}, "__redis__:invalidate"},
		{"no CLIENT", []string{"~*", "+@all", "-client", "allchannels"}, "CLIENT"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			client, _ := aclUser(t, tc.rules...)
			_, err := sessions.NewCookieStore(client, sessions.StoreOptions{KeyPrefix: testPrefix(t), LocalCache: 100},
				sessions.CookieOptions{Secrets: [][]byte{testSecret()}})
			if !errors.Is(err, sessions.ErrInvalidOptions) || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("NewCookieStore = %v; want ErrInvalidOptions naming %s", err, tc.want)
			}
			// Without the cache the same user is fine.
			st, err := sessions.NewCookieStore(client, sessions.StoreOptions{KeyPrefix: testPrefix(t)},
				sessions.CookieOptions{Secrets: [][]byte{testSecret()}})
			if err != nil {
				t.Fatal(err)
			}
			exchange(t, st, nil, func(s *sessions.Session) { s.Set("n", 1) })
		})
	}
}

// Issue 16 item 4: a stream that fails after the start (the user lost its
// permission) is retried with a capped exponential backoff, not ten times
// a second, and logged once per outage.
func TestLocalCacheStreamBackoff(t *testing.T) {
	client, name := aclUser(t, "~*", "+@all", "allchannels")
	var buf bytes.Buffer
	var mu sync.Mutex
	logger := slog.New(slog.NewTextHandler(&lockedWriter{w: &buf, mu: &mu}, nil))
	st, err := sessions.NewCookieStore(client, sessions.StoreOptions{KeyPrefix: testPrefix(t), LocalCache: 100, LocalCacheLag: 40 * time.Millisecond, Logger: logger},
		sessions.CookieOptions{Secrets: [][]byte{testSecret()}})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	waitFor(t, "the cache to go live", func() bool { return st.CacheStats().Live })

	admin := testClient(t)
	ctx := context.Background()
	// Take the channel away, and cut the stream's connection.
	if err := admin.Do(ctx, "ACL", "SETUSER", name, "resetchannels").Err(); err != nil {
		t.Fatal(err)
	}
	if err := admin.Do(ctx, "CLIENT", "KILL", "USER", name).Err(); err != nil {
		t.Fatal(err)
	}
	conns := func() int {
		info := admin.Info(ctx, "stats").Val()
		for _, line := range strings.Split(info, "\r\n") {
			if v, ok := strings.CutPrefix(line, "total_connections_received:"); ok {
				n, _ := strconv.Atoi(v)
				return n
			}
		}
		t.Fatal("no total_connections_received")
		return 0
	}
	waitFor(t, "the cache to stop serving", func() bool { return !st.CacheStats().Live })
	start := conns()
	time.Sleep(3 * time.Second)
	// Other tests may connect meanwhile; the old loop alone made about 30
	// connections in 3 s (one per LocalCacheLag/4, at most 100ms).
	if n := conns() - start; n > 12 {
		t.Errorf("%d connections in 3 s while the stream is refused; want a backoff (at most about 6 of its own)", n)
	}
	mu.Lock()
	logged := strings.Count(buf.String(), "level=WARN")
	mu.Unlock()
	if logged != 1 {
		t.Errorf("%d warnings for one outage of the stream, want 1: %s", logged, buf.String())
	}
	// Given back its channel, it comes back.
	if err := admin.Do(ctx, "ACL", "SETUSER", name, "allchannels").Err(); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the cache to serve again", func() bool { return st.CacheStats().Live })
}
