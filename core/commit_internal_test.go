package sessions

import (
	"context"
	"crypto/rand"
	"errors"
	"net/http"
	"net/http/httptest"
	"os"
	"testing"
)

// renewingCarrier starts a Renew from another goroutine while the store
// writes the cookie, that is while Commit holds the session's lock.
type renewingCarrier struct {
	Carrier
	s    *Session
	done chan error
}

func (c *renewingCarrier) SetCookie(ck *http.Cookie) {
	c.Carrier.SetCookie(ck)
	if c.done == nil {
		c.done = make(chan error, 1)
		go func() { c.done <- c.s.Renew() }()
	}
}

// Commit marks the response committed in the same lock hold as the save
// (issue 6, item 4): a Renew waiting on the lock meanwhile must fail with
// ErrCommitted, not take the record just written and return nil.
func TestCommitOneLockHold(t *testing.T) {
	t.Parallel()
	st := internalStore(t)
	r := httptest.NewRequest(http.MethodGet, "/", nil)
	w := httptest.NewRecorder()
	c := &renewingCarrier{Carrier: HTTPCarrier(w, r)}
	s := st.Load(context.Background(), c)
	c.s = s
	if err := s.Set("user", "ada"); err != nil {
		t.Fatal(err)
	}
	if err := st.Commit(context.Background(), c, s); err != nil {
		t.Fatal(err)
	}
	if c.done == nil {
		t.Fatal("Commit set no cookie")
	}
	if err := <-c.done; !errors.Is(err, ErrCommitted) {
		t.Fatalf("a Renew racing the commit returned %v, want ErrCommitted", err)
	}
}

// internalStore returns a cookie store on the rig's server (REDICT_URL)
// under a fresh key prefix, for white-box tests.
func internalStore(t *testing.T) *Store {
	t.Helper()
	url := os.Getenv("REDICT_URL")
	if url == "" {
		if os.Getenv("SESSIONS_REQUIRE_STORE") != "" {
			t.Fatal("REDICT_URL is not set; run scripts/test.sh")
		}
		t.Skip("REDICT_URL is not set; run scripts/test.sh")
	}
	client, err := NewClient(url)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { client.Close() })
	st, err := NewCookieStore(client, StoreOptions{KeyPrefix: "itest:" + rand.Text()[:12] + ":"},
		CookieOptions{Secrets: [][]byte{[]byte("0123456789abcdef0123456789abcdef")}})
	if err != nil {
		t.Fatal(err)
	}
	return st
}
