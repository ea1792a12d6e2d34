package sessionschi_test

import (
	"fmt"
	"io"
	"log"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"strings"

	"github.com/alicebob/miniredis/v2"
	"github.com/go-chi/chi/v5"
	"github.com/go-chi/chi/v5/middleware"

	sessionschi "github.com/gosessions/sessions/chi"
	sessions "github.com/gosessions/sessions/core"
)

// Sessions on the /app routes only: /static never reads the cookie or
// reaches the store. (An in-memory miniredis stands in for Redict so that
// the example runs anywhere; an app passes its Redict URL to
// sessions.NewClient.)
func Example() {
	redict, err := miniredis.Run()
	if err != nil {
		log.Fatal(err)
	}
	defer redict.Close()
	client, err := sessions.NewClient("redis://" + redict.Addr() + "/0")
	if err != nil {
		log.Fatal(err)
	}
	store, err := sessions.NewCookieStore(client, sessions.StoreOptions{}, sessions.CookieOptions{
		Secrets: [][]byte{[]byte("use 32+ random bytes from a vault")},
	})
	if err != nil {
		log.Fatal(err)
	}

	r := chi.NewRouter()
	r.Use(middleware.Recoverer) // outside the sessions: a panic commits nothing
	r.Get("/static/*", func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprintln(w, "static, session:", sessionschi.FromContext(r.Context()) != nil)
	})
	r.Route("/app", func(r chi.Router) {
		r.Use(sessionschi.Middleware(store, sessionschi.Options{}))
		r.Get("/count", func(w http.ResponseWriter, r *http.Request) {
			n, err := sessionschi.FromContext(r.Context()).Incr("count", 1)
			if err != nil {
				http.Error(w, "session store unavailable", http.StatusServiceUnavailable)
				return
			}
			fmt.Fprintf(w, "count: %d\n", n) // no Save: the session is saved before this byte
		})
	})

	// Serve it (httptest stands in for http.ListenAndServe) and visit it
	// with a browser-like client.
	srv := httptest.NewTLSServer(r)
	defer srv.Close()
	browser := srv.Client()
	browser.Jar, _ = cookiejar.New(nil)
	for _, path := range []string{"/app/count", "/app/count", "/static/site.css"} {
		resp, err := browser.Get(srv.URL + path)
		if err != nil {
			log.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		fmt.Println(strings.TrimSpace(string(b)), "| Set-Cookie:", resp.Header.Get("Set-Cookie") != "")
	}
	// Output:
	// count: 1 | Set-Cookie: true
	// count: 2 | Set-Cookie: false
	// static, session: false | Set-Cookie: false
}
