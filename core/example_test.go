package sessions_test

import (
	"context"
	"fmt"
	"io"
	"log"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"os"
	"strings"

	sessions "github.com/gosessions/sessions/core"
)

// get sends a GET with the client and returns the body.
func get(c *http.Client, url string) string {
	resp, err := c.Get(url)
	if err != nil {
		log.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return strings.TrimSpace(string(b))
}

// The net/http quick start of the README: a counter kept in a server-side
// session, its id in an encrypted cookie.
func Example() {
	client, err := sessions.NewClient(os.Getenv("REDICT_URL")) // redis://127.0.0.1:6379/0
	if err != nil {
		log.Fatal(err)
	}
	store, err := sessions.NewCookieStore(client, sessions.StoreOptions{}, sessions.CookieOptions{
		Secrets: [][]byte{[]byte("use 32+ random bytes from a vault")},
		// Secure stays on here: the test server below speaks https.
		DisableSecure: os.Getenv("DEV") == "1",
	})
	if err != nil {
		log.Fatal(err)
	}
	if err := store.Ping(context.Background()); err != nil {
		log.Fatal(err)
	}

	mux := http.NewServeMux()
	mux.HandleFunc("GET /count", func(w http.ResponseWriter, r *http.Request) {
		n, err := sessions.FromContext(r.Context()).Incr("count", 1)
		if err != nil {
			// A store failure is answered by the middleware (503);
			// other errors are the handler's to answer.
			http.Error(w, "cannot count", sessions.ErrorStatus(err))
			return
		}
		fmt.Fprintf(w, "count: %d\n", n)
	})
	handler := sessions.Middleware(store, sessions.MiddlewareOptions{})(mux)

	// Serve it (httptest stands in for http.ListenAndServe) and visit it
	// twice with a browser-like client.
	srv := httptest.NewTLSServer(handler)
	defer srv.Close()
	browser := srv.Client()
	browser.Jar, _ = cookiejar.New(nil)
	fmt.Println(get(browser, srv.URL+"/count"))
	fmt.Println(get(browser, srv.URL+"/count"))
	// Output:
	// count: 1
	// count: 2
}

// Login renews the session id (the old one dies at once) and stores the
// user; logout destroys the session server-side and clears the cookie.
func ExampleSession_Renew() {
	client, err := sessions.NewClient(os.Getenv("REDICT_URL"))
	if err != nil {
		log.Fatal(err)
	}
	store, err := sessions.NewCookieStore(client, sessions.StoreOptions{}, sessions.CookieOptions{
		Secrets:       [][]byte{[]byte("use 32+ random bytes from a vault")},
		DisableSecure: true, // plain-http demo only
	})
	if err != nil {
		log.Fatal(err)
	}
	mux := http.NewServeMux()
	mux.HandleFunc("POST /login", func(w http.ResponseWriter, r *http.Request) {
		s := sessions.FromContext(r.Context())
		if err := s.Renew(); err != nil {
			http.Error(w, "unavailable", http.StatusServiceUnavailable)
			return
		}
		s.Set("user", r.FormValue("user"))
	})
	mux.HandleFunc("GET /me", func(w http.ResponseWriter, r *http.Request) {
		user, ok, err := sessions.Get[string](sessions.FromContext(r.Context()), "user")
		switch {
		case err != nil:
			http.Error(w, "unavailable", http.StatusServiceUnavailable)
		case !ok:
			fmt.Fprintln(w, "anonymous")
		default:
			fmt.Fprintln(w, "user:", user)
		}
	})
	mux.HandleFunc("POST /logout", func(w http.ResponseWriter, r *http.Request) {
		if err := sessions.FromContext(r.Context()).Destroy(); err != nil {
			http.Error(w, "unavailable", http.StatusServiceUnavailable)
		}
	})
	srv := httptest.NewServer(sessions.Middleware(store, sessions.MiddlewareOptions{})(mux))
	defer srv.Close()
	browser := srv.Client()
	browser.Jar, _ = cookiejar.New(nil)

	browser.PostForm(srv.URL+"/login", map[string][]string{"user": {"ada"}})
	fmt.Println(get(browser, srv.URL+"/me"))
	browser.Post(srv.URL+"/logout", "", nil)
	fmt.Println(get(browser, srv.URL+"/me"))
	// Output:
	// user: ada
	// anonymous
}

// With the JWT transport the session id travels in the sid claim of a
// signed token, in the Session-Token header both ways; the API is the same.
func ExampleNewJWTStore() {
	client, err := sessions.NewClient(os.Getenv("REDICT_URL"))
	if err != nil {
		log.Fatal(err)
	}
	store, err := sessions.NewJWTStore(client, sessions.StoreOptions{}, sessions.JWTOptions{
		Keys: []sessions.JWTKey{{Secret: []byte("use 32+ random bytes from a vault")}},
	})
	if err != nil {
		log.Fatal(err)
	}
	handler := sessions.Middleware(store, sessions.MiddlewareOptions{})(http.HandlerFunc(
		func(w http.ResponseWriter, r *http.Request) {
			n, err := sessions.FromContext(r.Context()).Incr("count", 1)
			if err != nil {
				http.Error(w, "unavailable", http.StatusServiceUnavailable)
				return
			}
			fmt.Fprintf(w, "count: %d\n", n)
		}))

	// A client-rendered app keeps the token and sends it back.
	token := ""
	for range 2 {
		r := httptest.NewRequest(http.MethodGet, "/", nil)
		if token != "" {
			r.Header.Set("Session-Token", token)
		}
		w := httptest.NewRecorder()
		handler.ServeHTTP(w, r)
		if t := w.Header().Get("Session-Token"); t != "" {
			token = t
		}
		fmt.Print(w.Body.String())
	}
	// Output:
	// count: 1
	// count: 2
}

// Get decodes a stored value into the type asked for, and says so when it
// cannot rather than returning a zero value.
func ExampleGet() {
	client, err := sessions.NewClient(os.Getenv("REDICT_URL"))
	if err != nil {
		log.Fatal(err)
	}
	store, err := sessions.NewCookieStore(client, sessions.StoreOptions{}, sessions.CookieOptions{
		Secrets: [][]byte{[]byte("use 32+ random bytes from a vault")},
	})
	if err != nil {
		log.Fatal(err)
	}
	w := httptest.NewRecorder()
	c := sessions.HTTPCarrier(w, httptest.NewRequest(http.MethodGet, "/", nil))
	s := store.Load(context.Background(), c)

	type Cart struct{ Items []string }
	s.Set("cart", Cart{Items: []string{"tea"}})
	cart, ok, err := sessions.Get[Cart](s, "cart")
	fmt.Println(cart.Items, ok, err)
	_, _, err = sessions.Get[int](s, "cart")
	fmt.Println(err)
	_, ok, err = sessions.Get[int](s, "missing")
	fmt.Println(ok, err)
	// Output:
	// [tea] true <nil>
	// sessions: cannot decode value: get "cart" into int
	// false <nil>
}

// A store with a local cache: a request that only reads its session costs
// no round trip once the record is cached, and a change made by any
// instance drops it (see StoreOptions.LocalCache).
func ExampleStoreOptions_localCache() {
	client, err := sessions.NewClient(os.Getenv("REDICT_URL"))
	if err != nil {
		log.Fatal(err)
	}
	store, err := sessions.NewCookieStore(client, sessions.StoreOptions{LocalCache: 100_000},
		sessions.CookieOptions{Secrets: [][]byte{[]byte("use 32+ random bytes from a vault")}})
	if err != nil {
		log.Fatal(err)
	}
	defer store.Close() // stops the invalidation stream

	mux := http.NewServeMux()
	mux.HandleFunc("GET /count", func(w http.ResponseWriter, r *http.Request) {
		n, _ := sessions.FromContext(r.Context()).Incr("count", 1)
		fmt.Fprintf(w, "count: %d\n", n)
	})
	mux.HandleFunc("GET /read", func(w http.ResponseWriter, r *http.Request) {
		n, _, _ := sessions.Get[int](sessions.FromContext(r.Context()), "count")
		fmt.Fprintf(w, "read: %d\n", n)
	})
	srv := httptest.NewTLSServer(sessions.Middleware(store, sessions.MiddlewareOptions{})(mux))
	defer srv.Close()
	browser := srv.Client()
	browser.Jar, _ = cookiejar.New(nil)
	fmt.Println(get(browser, srv.URL+"/count"))
	fmt.Println(get(browser, srv.URL+"/read")) // from the store, then cached
	fmt.Println(get(browser, srv.URL+"/read"))
	fmt.Println(get(browser, srv.URL+"/count")) // the write drops the entry
	fmt.Println(get(browser, srv.URL+"/read"))
	// Output:
	// count: 1
	// read: 1
	// read: 1
	// count: 2
	// read: 2
}
