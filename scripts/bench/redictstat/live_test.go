package redictstat

import (
	"context"
	"os"
	"testing"

	"github.com/redis/go-redis/v9"
)

// TestLive reads INFO and the memory of a few keys on the test script's
// redis-server, in database 15 (flushed first: no other test uses it).
func TestLive(t *testing.T) {
	url := os.Getenv("REDICT_URL")
	if url == "" {
		if os.Getenv("SESSIONS_REQUIRE_STORE") == "1" {
			t.Fatal("REDICT_URL is not set and SESSIONS_REQUIRE_STORE=1")
		}
		t.Skip("REDICT_URL is not set")
	}
	opts, err := redis.ParseURL(url)
	if err != nil {
		t.Fatal(err)
	}
	opts.DB = 15
	rdb := redis.NewClient(opts)
	defer rdb.Close()
	ctx := context.Background()
	if err := rdb.FlushDB(ctx).Err(); err != nil {
		t.Fatal(err)
	}
	defer rdb.FlushDB(ctx)
	before, err := Take(ctx, rdb)
	if err != nil {
		t.Fatal(err)
	}
	for _, id := range []string{"AAAAAAAAAAAAAAAAAAAAAA", "BBBBBBBBBBBBBBBBBBBBBB"} {
		rdb.HSet(ctx, "t:{"+id+"}", "count", 1)
		rdb.Set(ctx, "t:{"+id+"}:x", "1", 0)
	}
	after, err := Take(ctx, rdb)
	if err != nil {
		t.Fatal(err)
	}
	d := after.Sub(before)
	if d.Commands["hset"].Calls < 2 || d.Commands["set"].Calls < 2 {
		t.Errorf("delta %+v lacks 2 HSET and 2 SET", d.Commands)
	}
	m, err := KeyMemory(ctx, rdb)
	if err != nil {
		t.Fatal(err)
	}
	if m.Keys != 4 || m.Bytes <= 0 || len(m.Groups) != 2 {
		t.Fatalf("memory %+v", m)
	}
	if got := m.Pattern(); got != "t:{*} + t:{*}:x" {
		t.Errorf("patterns %q", got)
	}
}
