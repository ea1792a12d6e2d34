package main

import (
	"net"
	"testing"

	"github.com/gofiber/fiber/v3"

	"github.com/gosessions/sessions/scripts/bench/internal/contract"
)

func TestContract(t *testing.T) {
	app := newApp(contract.Config(t))
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go app.Listener(ln, fiber.ListenConfig{DisableStartupMessage: true})
	defer app.Shutdown()
	contract.Check(t, "http://"+ln.Addr().String())
}
