package sessions_test

import (
	"errors"
	"os"
	"testing"

	sessions "github.com/gosessions/sessions/core"
)

// WaitReplicas: a write no replica acknowledged fails with ErrUnavailable
// (the rig's single server has none); behind Sentinel (the rig's primary
// has one replica) writes go through; a Cluster client is refused.
func TestWaitReplicas(t *testing.T) {
	t.Parallel()
	st, _ := newCookieStore(t, sessions.StoreOptions{WaitReplicas: 1, Timeout: 100e6}, sessions.CookieOptions{})
	r, c, _ := load(st, nil)
	r.Set("a", 1)
	if err := st.Save(t.Context(), c, r); !errors.Is(err, sessions.ErrUnavailable) {
		t.Errorf("a write on a server without replicas, WaitReplicas 1: %v, want ErrUnavailable", err)
	}
	cluster, err := sessions.NewClient("redis+cluster://127.0.0.1:1,127.0.0.1:2")
	if err != nil {
		t.Fatal(err)
	}
	defer cluster.Close()
	if _, err := sessions.NewCookieStore(cluster, sessions.StoreOptions{WaitReplicas: 1},
		sessions.CookieOptions{Secrets: [][]byte{testSecret()}}); !errors.Is(err, sessions.ErrInvalidOptions) {
		t.Errorf("WaitReplicas with a Cluster client: %v, want ErrInvalidOptions", err)
	}
	url := os.Getenv("REDICT_SENTINEL_URL")
	if url == "" {
		return // scripts/test.sh starts a Sentinel set-up and sets it
	}
	client, err := sessions.NewClient(url)
	if err != nil {
		t.Fatal(err)
	}
	defer client.Close()
	st2, err := sessions.NewCookieStore(client, sessions.StoreOptions{WaitReplicas: 1, KeyPrefix: testPrefix(t)},
		sessions.CookieOptions{Secrets: [][]byte{testSecret()}})
	if err != nil {
		t.Fatal(err)
	}
	cookies := exchange(t, st2, nil, func(s *sessions.Session) { s.Set("a", 1) }).Result().Cookies()
	exchange(t, st2, cookies, func(s *sessions.Session) {
		if n, err := s.Incr("a", 1); n != 2 || err != nil {
			t.Errorf("Incr behind Sentinel with WaitReplicas 1: %d, %v", n, err)
		}
	})
}
