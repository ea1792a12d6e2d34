package sessionsgin_test

import (
	"fmt"
	"io"
	"log"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"strings"

	"github.com/alicebob/miniredis/v2"
	"github.com/gin-gonic/gin"

	sessions "github.com/gosessions/sessions/core"
	sessionsgin "github.com/gosessions/sessions/gin"
)

// A counter kept in a server-side session, its id in an encrypted cookie.
// (An in-memory miniredis stands in for Redict so that the example runs
// anywhere; an app passes its Redict URL to sessions.NewClient.)
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

	r := gin.New()
	r.Use(gin.Recovery(), sessionsgin.Middleware(store, sessionsgin.Options{}))
	r.GET("/count", func(c *gin.Context) {
		n, err := sessionsgin.FromContext(c).Incr("count", 1)
		if err != nil {
			c.AbortWithStatus(http.StatusServiceUnavailable)
			return
		}
		c.String(http.StatusOK, "count: %d\n", n) // no Save: the session is saved before this byte
	})

	// Serve it (httptest stands in for r.Run) and visit it twice with a
	// browser-like client.
	srv := httptest.NewTLSServer(r)
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

// Typed values instead of gin-contrib/sessions' session.Get(k).(T), and no
// session.Save(): login renews the id and stores the user, a page reads it.
func ExampleFromContext() {
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
		Secrets:       [][]byte{[]byte("use 32+ random bytes from a vault")},
		DisableSecure: true, // plain-http demo only
	})
	if err != nil {
		log.Fatal(err)
	}

	type User struct{ Name string }
	r := gin.New()
	r.Use(gin.Recovery(), sessionsgin.Middleware(store, sessionsgin.Options{}))
	r.POST("/login", func(c *gin.Context) {
		s := sessionsgin.FromContext(c)
		if err := s.Renew(); err != nil { // a new id on every privilege change
			c.AbortWithStatus(http.StatusServiceUnavailable)
			return
		}
		s.Set("user", User{Name: c.Query("name")})
		c.Status(http.StatusNoContent)
	})
	r.GET("/me", func(c *gin.Context) {
		u, ok, err := sessions.Get[User](sessionsgin.FromContext(c), "user")
		switch {
		case err != nil:
			c.AbortWithStatus(http.StatusServiceUnavailable)
		case !ok:
			c.String(http.StatusUnauthorized, "nobody\n")
		default:
			c.String(http.StatusOK, "hello, %s\n", u.Name)
		}
	})

	srv := httptest.NewServer(r)
	defer srv.Close()
	browser := srv.Client()
	browser.Jar, _ = cookiejar.New(nil)
	show := func(resp *http.Response, err error) {
		if err != nil {
			log.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		fmt.Println(strings.TrimSpace(fmt.Sprint(resp.StatusCode, " ", string(b))))
	}
	show(browser.Get(srv.URL + "/me"))
	show(browser.Post(srv.URL+"/login?name=ada", "", nil))
	show(browser.Get(srv.URL + "/me"))
	// Output:
	// 401 nobody
	// 204
	// 200 hello, ada
}
