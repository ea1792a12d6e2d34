package main

import (
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/gofiber/fiber/v3"
)

// TestCrossOrigin checks what crossOrigin refuses, and that net/http's
// CrossOriginProtection decides every case alike.
func TestCrossOrigin(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, method string
		header       map[string]string
		refused      bool
	}{
		{"get cross-site", "GET", map[string]string{"Sec-Fetch-Site": "cross-site", "Origin": "https://evil.example"}, false},
		{"head cross-site", "HEAD", map[string]string{"Sec-Fetch-Site": "cross-site"}, false},
		{"options cross-site", "OPTIONS", map[string]string{"Sec-Fetch-Site": "cross-site"}, false},
		{"post no headers", "POST", nil, false},
		{"post same-origin", "POST", map[string]string{"Sec-Fetch-Site": "same-origin", "Origin": "https://evil.example"}, false},
		{"post none", "POST", map[string]string{"Sec-Fetch-Site": "none"}, false},
		{"post cross-site", "POST", map[string]string{"Sec-Fetch-Site": "cross-site"}, true},
		{"post same-site", "POST", map[string]string{"Sec-Fetch-Site": "same-site"}, true},
		{"post cross-site, origin is host", "POST", map[string]string{"Sec-Fetch-Site": "cross-site", "Origin": "http://example.com"}, true},
		{"delete cross-site", "DELETE", map[string]string{"Sec-Fetch-Site": "cross-site"}, true},
		{"post origin is host", "POST", map[string]string{"Origin": "http://example.com"}, false},
		{"post origin is another host", "POST", map[string]string{"Origin": "https://evil.example"}, true},
		{"post origin is another port", "POST", map[string]string{"Origin": "http://example.com:8080"}, true},
		{"post origin null", "POST", map[string]string{"Origin": "null"}, true},
		{"post origin not a URL", "POST", map[string]string{"Origin": "%zz"}, true},
	}
	app := fiber.New()
	app.Use(crossOrigin)
	app.All("/", func(c fiber.Ctx) error { return c.SendStatus(fiber.StatusOK) })
	cop := http.NewCrossOriginProtection()
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req := httptest.NewRequest(tt.method, "http://example.com/", nil)
			for k, v := range tt.header {
				req.Header.Set(k, v)
			}
			if refused := cop.Check(req) != nil; refused != tt.refused {
				t.Fatalf("net/http's CrossOriginProtection refuses: %v, the table says %v", refused, tt.refused)
			}
			want := http.StatusOK
			if tt.refused {
				want = http.StatusForbidden
			}
			resp, err := app.Test(req)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			if resp.StatusCode != want {
				t.Errorf("status %d, want %d", resp.StatusCode, want)
			}
		})
	}
}
