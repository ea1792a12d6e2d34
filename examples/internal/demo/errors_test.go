package demo

import (
	"errors"
	"fmt"
	"net/http"
	"strings"
	"testing"

	sessions "github.com/gosessions/sessions/core"
)

func TestErrorAnswer(t *testing.T) {
	tests := []struct {
		err    error
		status int
	}{
		{fmt.Errorf("%w: incr", sessions.ErrNotInteger), http.StatusConflict},
		{fmt.Errorf("%w: incr", sessions.ErrOutOfRange), http.StatusConflict},
		{fmt.Errorf("%w: key count", sessions.ErrDecode), http.StatusConflict},
		{fmt.Errorf("%w: load", sessions.ErrUnavailable), http.StatusServiceUnavailable},
		{sessions.ErrTooLarge, http.StatusRequestEntityTooLarge},
		{errors.New("a bug"), http.StatusInternalServerError},
	}
	for _, tt := range tests {
		status, msg := ErrorAnswer(tt.err)
		if status != tt.status || msg == "" {
			t.Errorf("ErrorAnswer(%v) = %d %q, want %d and a message", tt.err, status, msg, tt.status)
		}
		if status != http.StatusConflict && msg != sessions.ErrorMessage(tt.err) {
			t.Errorf("ErrorAnswer(%v): message %q, want the core's %q", tt.err, msg, sessions.ErrorMessage(tt.err))
		}
	}
	if _, msg := ErrorAnswer(fmt.Errorf("%w: key secret-key-name", sessions.ErrDecode)); strings.Contains(msg, "secret-key-name") {
		t.Errorf("ErrorAnswer quotes the error: %q", msg)
	}
}
