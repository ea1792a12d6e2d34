package demo_test

import (
	"fmt"

	"github.com/gosessions/sessions/examples/internal/demo"
)

// LoadConfig reports every invalid variable at once.
func ExampleLoadConfig() {
	getenv := func(name string) string {
		return map[string]string{
			"SESSION_TRANSPORT":    "pigeon",
			"SESSION_IDLE_TIMEOUT": "soon",
		}[name]
	}
	_, err := demo.LoadConfig(getenv)
	fmt.Println(err)
	// Output:
	// SESSION_TRANSPORT="pigeon": want cookie or jwt
	// SESSION_IDLE_TIMEOUT="soon": want a positive Go duration such as 30m or 24h
}
