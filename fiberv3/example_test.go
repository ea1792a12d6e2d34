package sessionsfiber_test

import (
	"fmt"
	"io"
	"log"
	"net/http/httptest"
	"time"

	"github.com/alicebob/miniredis/v2"
	"github.com/gofiber/fiber/v3"
	"github.com/gofiber/fiber/v3/middleware/recover"

	sessions "github.com/gosessions/sessions/core"
	sessionsfiber "github.com/gosessions/sessions/fiberv3"
)

// A counter kept in a server-side session, its id in an encrypted cookie.
// (miniredis stands in for Redict; in production pass
// sessions.NewClient(os.Getenv("REDICT_URL")).)
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
	defer client.Close()
	store, err := sessions.NewCookieStore(client, sessions.StoreOptions{}, sessions.CookieOptions{
		Secrets: [][]byte{[]byte("use 32+ random bytes from a vault")},
	})
	if err != nil {
		log.Fatal(err)
	}

	app := fiber.New(fiber.Config{ReadBufferSize: 16 << 10})
	app.Use(recover.New()) // before the sessions: a panic saves nothing
	app.Use(sessionsfiber.New(store, sessionsfiber.Config{}))
	app.Get("/count", func(c fiber.Ctx) error {
		n, err := sessionsfiber.FromContext(c).Incr("count", 1)
		if err != nil {
			return err // the middleware answers 503 anyway
		}
		return c.SendString(fmt.Sprintf("count: %d", n))
	})

	// Visit it twice, sending back the cookie the first visit set.
	cookie := ""
	for range 2 {
		req := httptest.NewRequest("GET", "/count", nil)
		if cookie != "" {
			req.Header.Set("Cookie", cookie)
		}
		resp, err := app.Test(req)
		if err != nil {
			log.Fatal(err)
		}
		for _, ck := range resp.Cookies() {
			cookie = ck.Name + "=" + ck.Value
		}
		body, _ := io.ReadAll(resp.Body)
		fmt.Println(string(body))
	}
	// Output:
	// count: 1
	// count: 2
}

// With the app's own fiber ErrorHandler answering store failures:
// ReturnFiberError hands it a *fiber.Error (here 503, "session store
// unavailable") instead of the default JSON answer.
func ExampleReturnFiberError() {
	redict, err := miniredis.Run()
	if err != nil {
		log.Fatal(err)
	}
	client, err := sessions.NewClient("redis://" + redict.Addr() + "/0")
	if err != nil {
		log.Fatal(err)
	}
	defer client.Close()
	store, err := sessions.NewCookieStore(client, sessions.StoreOptions{}, sessions.CookieOptions{
		Secrets: [][]byte{[]byte("use 32+ random bytes from a vault")},
	})
	if err != nil {
		log.Fatal(err)
	}
	redict.Close() // the store goes down

	app := fiber.New(fiber.Config{
		ErrorHandler: func(c fiber.Ctx, err error) error {
			code := fiber.StatusInternalServerError
			if fe, ok := err.(*fiber.Error); ok {
				code = fe.Code
			}
			return c.Status(code).SendString("sorry: " + err.Error())
		},
	})
	app.Use(sessionsfiber.New(store, sessionsfiber.Config{ErrorHandler: sessionsfiber.ReturnFiberError}))
	app.Get("/", func(c fiber.Ctx) error {
		sessionsfiber.FromContext(c).Set("seen", true)
		return c.SendString("hello")
	})

	resp, err := app.Test(httptest.NewRequest("GET", "/", nil), fiber.TestConfig{Timeout: 10 * time.Second})
	if err != nil {
		log.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	fmt.Println(resp.StatusCode, string(body))
	// Output:
	// 503 sorry: session store unavailable
}
