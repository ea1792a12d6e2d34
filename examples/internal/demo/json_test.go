package demo

import (
	"encoding/json"
	"testing"
	"time"

	sessions "github.com/gosessions/sessions/core"
)

func TestSessionList(t *testing.T) {
	b, _ := json.Marshal(SessionList(nil))
	if string(b) != `{"sessions":[]}` {
		t.Errorf("no sessions: %s, want an empty list", b)
	}
	paris := time.FixedZone("CET", 3600)
	b, _ = json.Marshal(SessionList([]sessions.SessionInfo{{
		Handle:   "h1",
		Created:  time.Date(2025, 3, 4, 6, 6, 7, 0, paris),
		LastSeen: time.Date(2025, 3, 4, 6, 16, 7, 0, paris),
		Label:    "curl/8",
		Current:  true,
	}}))
	want := `{"sessions":[{"handle":"h1","current":true,"created":"2025-03-04T05:06:07Z","last_seen":"2025-03-04T05:16:07Z","label":"curl/8","device":"curl"}]}`
	if string(b) != want {
		t.Errorf("SessionList: %s, want %s", b, want)
	}
}
