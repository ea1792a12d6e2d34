package main

// A "sudo mode" handler, as the README's Accounts section shows it: a
// sensitive action is refused with 401 when the user last proved who they
// are longer ago than a few minutes, until they give their password again.

import (
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"testing"
	"time"

	"github.com/alicebob/miniredis/v2"
	sessions "github.com/gosessions/sessions/core"
)

// sudo runs next only for a user who proved who they are within maxAge
// (10 minutes in the README); others get 401 and are asked to confirm.
func sudo(maxAge time.Duration, next http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		s := sessions.FromContext(r.Context())
		if at := s.AuthenticatedAt(); at.IsZero() || time.Since(at) > maxAge {
			http.Error(w, "confirm your password", http.StatusUnauthorized)
			return
		}
		next(w, r)
	}
}

func TestSudoMode(t *testing.T) {
	m := miniredis.RunT(t)
	client, err := sessions.NewClient("redis://" + m.Addr())
	if err != nil {
		t.Fatal(err)
	}
	defer client.Close()
	store, err := sessions.NewCookieStore(client, sessions.StoreOptions{}, sessions.CookieOptions{
		Secrets: [][]byte{make([]byte, 32)},
	})
	if err != nil {
		t.Fatal(err)
	}
	const maxAge = 200 * time.Millisecond // 10 minutes in an app
	mux := http.NewServeMux()
	mux.HandleFunc("POST /login", func(w http.ResponseWriter, r *http.Request) {
		s := sessions.FromContext(r.Context())
		if err := s.Renew(); err != nil {
			http.Error(w, "session", sessions.ErrorStatus(err))
			return
		}
		if err := s.BindUser(r.FormValue("user"), r.UserAgent()); err != nil {
			http.Error(w, "session", sessions.ErrorStatus(err))
			return
		}
	})
	mux.HandleFunc("POST /confirm", func(w http.ResponseWriter, r *http.Request) {
		// (check the password here)
		if err := sessions.FromContext(r.Context()).Reauthenticated(); err != nil {
			http.Error(w, "log in first", http.StatusUnauthorized)
		}
	})
	mux.HandleFunc("POST /account/delete", sudo(maxAge, func(w http.ResponseWriter, r *http.Request) {
		w.Write([]byte("deleted"))
	}))
	srv := httptest.NewServer(sessions.Middleware(store, sessions.MiddlewareOptions{})(mux))
	defer srv.Close()
	jar, _ := cookiejar.New(nil)
	browser := &http.Client{Jar: jar}
	post := func(path string, form url.Values) int {
		t.Helper()
		resp, err := browser.PostForm(srv.URL+path, form)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	if got := post("/account/delete", nil); got != http.StatusUnauthorized {
		t.Errorf("sensitive action without a login: %d, want 401", got)
	}
	post("/login", url.Values{"user": {"ada"}})
	if got := post("/account/delete", nil); got != http.StatusOK {
		t.Errorf("sensitive action right after login: %d, want 200", got)
	}
	time.Sleep(maxAge + 50*time.Millisecond)
	if got := post("/account/delete", nil); got != http.StatusUnauthorized {
		t.Errorf("sensitive action %v after login: %d, want 401", maxAge, got)
	}
	if got := post("/confirm", nil); got != http.StatusOK {
		t.Fatalf("confirm: %d", got)
	}
	if got := post("/account/delete", nil); got != http.StatusOK {
		t.Errorf("sensitive action after confirming the password: %d, want 200", got)
	}
}
