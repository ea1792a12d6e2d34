package contract_test

import (
	"context"
	"errors"
	"net/http"
	"os/exec"
	"strings"
	"testing"
	"time"
)

// TestSecureCookie checks that SESSION_COOKIE_SECURE=true makes the cookie
// Secure (the default leaves it off, for plain http; see walk.count).
func TestSecureCookie(t *testing.T) {
	t.Parallel()
	eachProgram(t, func(t *testing.T, prog string) {
		a := startApp(t, prog, cookieMode, "SESSION_COOKIE_SECURE=true")
		r := a.do(t, "GET", "/api/count", "", nil)
		wantJSON(t, r, http.StatusOK, `{"count":1}`)
		if ck := mustSessionCookie(t, r); !ck.Secure {
			t.Errorf("Set-Cookie %q lacks Secure", r.header.Get("Set-Cookie"))
		}
	})
}

// badConfigs are configurations every program refuses at start-up,
// naming each variable of want in its output (all errors at once).
var badConfigs = []struct {
	name string
	env  []string
	want []string
}{
	{"unknown transport", []string{"SESSION_TRANSPORT=carrier-pigeon"}, []string{"SESSION_TRANSPORT"}},
	{"secret not hex", []string{"SESSION_SECRET=" + strings.Repeat("zq", 32)}, []string{"SESSION_SECRET"}},
	{"secret too short", []string{"SESSION_SECRET=" + testSecret[:62]}, []string{"SESSION_SECRET"}},
	{"jwt key wrong length", []string{"SESSION_JWT_KEY=" + testSecret + "00"}, []string{"SESSION_JWT_KEY"}},
	{"jwt key not hex", []string{"SESSION_TRANSPORT=jwt", "SESSION_JWT_KEY=" + strings.Repeat("zq", 32)}, []string{"SESSION_JWT_KEY"}},
	{"jwt key odd hex", []string{"SESSION_TRANSPORT=jwt", "SESSION_JWT_KEY=" + testJWTKey[:63]}, []string{"SESSION_JWT_KEY"}},
	{"jwt key too short", []string{"SESSION_TRANSPORT=jwt", "SESSION_JWT_KEY=" + testJWTKey[:62]}, []string{"SESSION_JWT_KEY"}},
	{"jwt key too long", []string{"SESSION_TRANSPORT=jwt", "SESSION_JWT_KEY=" + testJWTKey + testJWTKey}, []string{"SESSION_JWT_KEY"}},
	{"idle timeout not a duration", []string{"SESSION_IDLE_TIMEOUT=soon"}, []string{"SESSION_IDLE_TIMEOUT"}},
	{"absolute timeout not positive", []string{"SESSION_ABSOLUTE_TIMEOUT=-1h"}, []string{"SESSION_ABSOLUTE_TIMEOUT"}},
	{"absolute shorter than idle", []string{"SESSION_IDLE_TIMEOUT=2h", "SESSION_ABSOLUTE_TIMEOUT=1h"}, []string{"must not be shorter"}},
	{"cookie secure not a bool", []string{"SESSION_COOKIE_SECURE=maybe"}, []string{"SESSION_COOKIE_SECURE"}},
	{"store URL scheme", []string{"REDICT_URL=http://user:hunter2@127.0.0.1:1/"}, []string{"REDICT_URL"}},
	{"all at once", []string{"SESSION_TRANSPORT=jwt", "SESSION_JWT_KEY=" + testJWTKey[:62], "SESSION_IDLE_TIMEOUT=soon", "SESSION_COOKIE_SECURE=maybe"},
		[]string{"SESSION_JWT_KEY", "SESSION_IDLE_TIMEOUT", "SESSION_COOKIE_SECURE"}},
}

// TestBadConfig checks that invalid configuration stops every program at
// start-up with exit status 1 and a message naming each bad variable,
// without echoing a key or the store's password.
func TestBadConfig(t *testing.T) {
	t.Parallel()
	eachProgram(t, func(t *testing.T, prog string) {
		for _, tt := range badConfigs {
			t.Run(tt.name, func(t *testing.T) {
				t.Parallel()
				ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
				defer cancel()
				cmd := exec.CommandContext(ctx, binary(prog))
				// Port 0: should the config be accepted after all, the
				// program serves until the deadline instead of clashing on
				// a port.
				cmd.Env = append(appEnv(), append([]string{"ADDR=127.0.0.1:0"}, tt.env...)...)
				out, err := cmd.CombinedOutput()
				if ctx.Err() != nil {
					t.Fatalf("%s did not exit by itself:\n%s", prog, out)
				}
				var exit *exec.ExitError
				if !errors.As(err, &exit) || exit.ExitCode() != 1 {
					t.Fatalf("exit: %v, want exit status 1; output:\n%s", err, out)
				}
				for _, w := range tt.want {
					if !strings.Contains(string(out), w) {
						t.Errorf("output lacks %q:\n%s", w, out)
					}
				}
				for _, kv := range tt.env {
					_, v, _ := strings.Cut(kv, "=")
					if secretish(kv) && strings.Contains(string(out), v) {
						t.Errorf("output echoes the value of %s:\n%s", kv, out)
					}
				}
				if strings.Contains(string(out), "hunter2") {
					t.Errorf("output echoes the store password:\n%s", out)
				}
			})
		}
	})
}
