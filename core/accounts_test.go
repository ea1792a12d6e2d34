package sessions_test

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	sessions "github.com/gosessions/sessions/core"
)

// login runs a login request (Renew, then BindUser) on the session of
// cookies and returns the new cookies.
func login(t testing.TB, st *sessions.Store, cookies []*http.Cookie, user, label string) []*http.Cookie {
	t.Helper()
	w := exchange(t, st, cookies, func(s *sessions.Session) {
		if err := s.Renew(); err != nil {
			t.Fatal(err)
		}
		if err := s.BindUser(user, label); err != nil {
			t.Fatal(err)
		}
	})
	return w.Result().Cookies()
}

// indexKeys returns the keys of the per-user indexes under the prefix.
func indexKeys(t testing.TB, st *sessions.Store, client redis.UniversalClient) []string {
	t.Helper()
	keys, err := client.Keys(context.Background(), st.Options().KeyPrefix+"u:*").Result()
	if err != nil {
		t.Fatal(err)
	}
	return keys
}

func list(t testing.TB, st *sessions.Store, user string) []sessions.SessionInfo {
	t.Helper()
	l, err := st.ListSessions(context.Background(), user, nil)
	if err != nil {
		t.Fatal(err)
	}
	return l
}

// A session bound to one user and then to another (a shared computer)
// leaves the first user's list; Destroy leaves it too, and leaves no key;
// Renew keeps the binding and the handle.
func TestBindingMoves(t *testing.T) {
	t.Parallel()
	st, client := newCookieStore(t, sessions.StoreOptions{}, sessions.CookieOptions{})
	ada := login(t, st, nil, "ada", "laptop")
	if l := list(t, st, "ada"); len(l) != 1 || l[0].Label != "laptop" || l[0].Created.IsZero() {
		t.Fatalf("ada's sessions: %+v", l)
	}
	bob := login(t, st, ada, "bob", "laptop")
	if l := list(t, st, "ada"); len(l) != 0 {
		t.Errorf("ada's sessions after the computer went to bob: %d, want 0", len(l))
	}
	if l := list(t, st, "bob"); len(l) != 1 {
		t.Errorf("bob's sessions: %d, want 1", len(l))
	}
	// A plain Renew keeps the binding and the handle.
	before := list(t, st, "bob")[0].Handle
	renewed := exchange(t, st, bob, func(s *sessions.Session) { s.Renew() }).Result().Cookies()
	if l := list(t, st, "bob"); len(l) != 1 || l[0].Handle != before {
		t.Errorf("bob's sessions after Renew: %+v, want one, with the same handle", l)
	}
	exchange(t, st, renewed, func(s *sessions.Session) {
		if u, err := s.BoundUser(); u != "bob" || err != nil {
			t.Errorf("BoundUser after Renew = %q, %v", u, err)
		}
		s.Destroy()
	})
	if l := list(t, st, "bob"); len(l) != 0 {
		t.Errorf("bob's sessions after Destroy: %d, want 0", len(l))
	}
	// The session's key is gone at once (its index entry is pruned once
	// settled).
	if keys := recordKeys(t, st, client); len(keys) != 0 {
		t.Errorf("%d session keys after Destroy, want 0", len(keys))
	}
}

// With MaxSessionsPerUser, a login past the cap ends the user's oldest
// sessions; the index key lives at least as long as the user's sessions
// can; labels are capped.
func TestSessionCapAndIndexTTL(t *testing.T) {
	t.Parallel()
	st, client := newCookieStore(t, sessions.StoreOptions{MaxSessionsPerUser: 2, AbsoluteTimeout: time.Hour},
		sessions.CookieOptions{})
	first := login(t, st, nil, "ada", strings.Repeat("é", 150))
	time.Sleep(2 * time.Millisecond)
	login(t, st, nil, "ada", "two")
	time.Sleep(2 * time.Millisecond)
	login(t, st, nil, "ada", "three")
	l := list(t, st, "ada")
	if len(l) != 2 || l[0].Label != "two" || l[1].Label != "three" {
		t.Fatalf("capped at 2: %+v, want two and three", l)
	}
	exchange(t, st, first, func(s *sessions.Session) {
		if !s.IsNew() {
			t.Error("the oldest session outlived the cap")
		}
	})
	keys := indexKeys(t, st, client)
	if len(keys) != 1 {
		t.Fatalf("%d index keys, want 1", len(keys))
	}
	if ttl := client.PTTL(context.Background(), keys[0]).Val(); ttl < time.Hour {
		t.Errorf("index TTL %v, want at least the 1h absolute timeout", ttl)
	}
	st2, _ := newCookieStore(t, sessions.StoreOptions{}, sessions.CookieOptions{})
	login(t, st2, nil, "ada", strings.Repeat("é", 150))
	if got := list(t, st2, "ada")[0].Label; len(got) > sessions.MaxLabelLen || !strings.HasPrefix(got, "éé") || strings.ContainsRune(got, '\uFFFD') {
		t.Errorf("label cut to %d bytes: %q", len(got), got)
	}
}

// A user who logs in often and never logs out keeps a bounded index: the
// entries of sessions that ended are pruned as logins go on.
func TestIndexBoundedForFrequentLogins(t *testing.T) {
	t.Parallel()
	st, client := newCookieStore(t, sessions.StoreOptions{}, sessions.CookieOptions{})
	ctx := context.Background()
	for range 70 {
		login(t, st, nil, "bot", "cron")
	}
	// The sessions end on their own (here: deleted, as an idle expiry
	// would), long enough ago for their entries to be settled.
	for _, k := range recordKeys(t, st, client) {
		client.Del(ctx, k)
	}
	keys := indexKeys(t, st, client)
	old := float64(time.Now().Add(-time.Minute).UnixMilli())
	for _, m := range client.ZRange(ctx, keys[0], 0, -1).Val() {
		client.ZAdd(ctx, keys[0], redis.Z{Score: old, Member: m})
	}
	for range 16 {
		login(t, st, nil, "bot", "cron")
	}
	if n := client.ZCard(ctx, keys[0]).Val(); n > 32 {
		t.Errorf("after 86 logins, 70 of them ended: %d index entries, want them pruned", n)
	}
	if l := list(t, st, "bot"); len(l) != 16 {
		t.Errorf("listed %d, want the 16 live sessions", len(l))
	}
}

// BenchmarkDestroyAll ends every session of a user who has 1,000.
func BenchmarkDestroyAll(b *testing.B) {
	st, client := newCookieStore(b, sessions.StoreOptions{}, sessions.CookieOptions{})
	ctx := context.Background()
	for i := 0; b.Loop(); i++ {
		b.StopTimer()
		user := fmt.Sprint("user-", i)
		pipe := client.Pipeline()
		for range 1000 {
			login(b, st, nil, user, "device")
		}
		pipe.Exec(ctx)
		b.StartTimer()
		n, err := st.DestroyUserSessions(ctx, user, nil)
		if err != nil || n != 1000 {
			b.Fatalf("DestroyUserSessions = %d, %v; want 1000", n, err)
		}
	}
}
