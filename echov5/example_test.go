package sessionsecho_test

import (
	"fmt"
	"io"
	"log"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"strings"

	"github.com/alicebob/miniredis/v2"
	"github.com/labstack/echo/v5"
	"github.com/labstack/echo/v5/middleware"

	sessions "github.com/gosessions/sessions/core"
	sessionsecho "github.com/gosessions/sessions/echov5"
)

// A counter kept in a server-side session, its id in an encrypted cookie.
// (miniredis stands in for Redict here; give NewClient your REDICT_URL.)
func Example() {
	mr, err := miniredis.Run()
	if err != nil {
		log.Fatal(err)
	}
	defer mr.Close()
	client, err := sessions.NewClient("redis://" + mr.Addr() + "/0")
	if err != nil {
		log.Fatal(err)
	}
	store, err := sessions.NewCookieStore(client, sessions.StoreOptions{}, sessions.CookieOptions{
		Secrets: [][]byte{[]byte("use 32+ random bytes from a vault")},
	})
	if err != nil {
		log.Fatal(err)
	}

	e := echo.New()
	e.Use(middleware.Recover())
	e.Use(sessionsecho.Middleware(store, sessionsecho.Options{}))
	e.GET("/count", func(c *echo.Context) error {
		n, err := sessionsecho.FromContext(c).Incr("count", 1)
		if err != nil {
			return err // the store is down: the middleware answers 503
		}
		return c.String(http.StatusOK, fmt.Sprintf("count: %d\n", n))
	})

	// Serve it (httptest stands in for e.Start) and visit it twice with
	// a browser-like client.
	srv := httptest.NewTLSServer(e)
	defer srv.Close()
	browser := srv.Client()
	browser.Jar, _ = cookiejar.New(nil)
	for range 2 {
		resp, err := browser.Get(srv.URL + "/count")
		if err != nil {
			log.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		fmt.Println(strings.TrimSpace(string(b)))
	}
	// Output:
	// count: 1
	// count: 2
}
