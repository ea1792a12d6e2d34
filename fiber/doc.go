// Package sessionsfiber will adapt fiber to github.com/gosessions/sessions/core.
//
// Not implemented yet: the adapter arrives with its own issue. Until then
// this module holds only this file, so that go.work stays valid.
package sessionsfiber
