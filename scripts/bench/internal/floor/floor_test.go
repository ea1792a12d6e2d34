package floor

import (
	"context"
	"net/http"
	"net/http/httptest"
	"net/url"
	"testing"

	"github.com/gosessions/sessions/scripts/bench/internal/contract"
	"github.com/gosessions/sessions/scripts/bench/load"
)

func TestContract(t *testing.T) {
	cfg := contract.Config(t)
	rdb, err := cfg.Client()
	if err != nil {
		t.Fatal(err)
	}
	defer rdb.Close()
	srv := httptest.NewServer(NewHandler(rdb))
	defer srv.Close()
	contract.Check(t, srv.URL)
}

func TestLoginMovesTheSessionAndLogoutEndsIt(t *testing.T) {
	cfg := contract.Config(t)
	rdb, err := cfg.Client()
	if err != nil {
		t.Fatal(err)
	}
	defer rdb.Close()
	srv := httptest.NewServer(NewHandler(rdb))
	defer srv.Close()
	ctx := context.Background()
	u := load.NewUsers(1)[0]
	defer load.CloseIdle([]*load.User{u})
	must := func(r load.Response, err error) load.Response {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
		return r
	}
	must(u.Get(ctx, srv.URL+"/api/count"))
	old := u.Cookies(srv.URL)
	if r := must(u.Post(ctx, srv.URL+"/api/login", url.Values{"user": {"ann"}})); r.Status != http.StatusOK || string(r.Body) != `{"user":"ann"}` {
		t.Fatalf("login: %d %s", r.Status, r.Body)
	}
	if now := u.Cookies(srv.URL); len(now) != 1 || len(old) != 1 || now[0].Value == old[0].Value {
		t.Errorf("the id was not renewed: %v, then %v", old, now)
	}
	if r := must(u.Get(ctx, srv.URL+"/api/read")); string(r.Body) != `{"count":1}` {
		t.Errorf("read after login: %s, want the count moved", r.Body)
	}
	if n, _ := rdb.Exists(ctx, keyPrefix+old[0].Value).Result(); n != 0 {
		t.Error("the old id's key is still there")
	}
	if r := must(u.Post(ctx, srv.URL+"/api/logout", nil)); r.Status != http.StatusNoContent {
		t.Errorf("logout: %d", r.Status)
	}
	if r := must(u.Get(ctx, srv.URL+"/api/read")); string(r.Body) != `{"count":0}` {
		t.Errorf("read after logout: %s", r.Body)
	}
	// A login without a session.
	fresh := load.NewUsers(1)[0]
	defer load.CloseIdle([]*load.User{fresh})
	if r := must(fresh.Post(ctx, srv.URL+"/api/login", url.Values{"user": {"bob"}})); r.Status != http.StatusOK {
		t.Errorf("login without a session: %d %s", r.Status, r.Body)
	}
}
