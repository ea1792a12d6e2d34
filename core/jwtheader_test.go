package sessions_test

import (
	"testing"

	sessions "github.com/gosessions/sessions/core"
)

func TestJWTHeaderNames(t *testing.T) {
	client := testClient(t)
	for _, h := range []string{"Set-Cookie", "Cookie", "Content-Type", "Content-Length", "Host", "Transfer-Encoding", "Vary", "Cache-Control", "Access-Control-Expose-Headers"} {
		_, err := sessions.NewJWTStore(client, sessions.StoreOptions{}, sessions.JWTOptions{Header: h, Keys: []sessions.JWTKey{{Secret: testSecret()}}})
		if err == nil {
			t.Errorf("JWTOptions.Header %q accepted", h)
		}
	}
}
