package main

import (
	"net/url"

	"github.com/gofiber/fiber/v3"
)

// crossOrigin is fiber middleware that refuses a browser's cross-origin
// request with an unsafe method (POST, ...) with 403, by the rules of
// net/http's CrossOriginProtection: a request whose Sec-Fetch-Site header
// says neither same-origin nor none is cross-origin; without that header
// (older browsers), one whose Origin header names another host than its
// Host header; a request with neither header is same-origin or not from a
// browser, and passes.
//
// (fiber v3's csrf middleware, like v2's, is token-based: it wants back,
// on every unsafe request, the token of a cookie it sets on safe ones.)
func crossOrigin(c fiber.Ctx) error {
	switch c.Method() {
	case fiber.MethodGet, fiber.MethodHead, fiber.MethodOptions:
		return c.Next()
	}
	switch c.Get(fiber.HeaderSecFetchSite) {
	case "same-origin", "none":
		return c.Next()
	case "":
		origin := c.Get(fiber.HeaderOrigin)
		if origin == "" {
			return c.Next()
		}
		if u, err := url.Parse(origin); err == nil && u.Host == string(c.Request().Host()) {
			return c.Next()
		}
	}
	return fiber.NewError(fiber.StatusForbidden, "cross-origin request refused")
}
