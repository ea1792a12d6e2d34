package sessionsgin_test

import (
	"bufio"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/gin-gonic/gin"

	sessions "github.com/gosessions/sessions/core"
	sessionsgin "github.com/gosessions/sessions/gin"
)

// TestWriterCommits: each of the writer's first-byte methods commits the
// session there and then (a Renew after it fails with ErrCommitted), and
// the response carries the session's cookie; every gin.ResponseWriter
// method keeps working through the wrapper.
func TestWriterCommits(t *testing.T) {
	st, _ := rigStore(t)
	r := newEngine(st, sessionsgin.Options{})
	first := map[string]func(w gin.ResponseWriter){
		"WriteHeader":    func(w gin.ResponseWriter) { w.WriteHeader(http.StatusAccepted) },
		"WriteHeaderNow": func(w gin.ResponseWriter) { w.WriteHeaderNow() },
		"Write":          func(w gin.ResponseWriter) { w.Write([]byte("x")) },
		"WriteString":    func(w gin.ResponseWriter) { w.WriteString("x") },
		"Flush":          func(w gin.ResponseWriter) { w.Flush() },
		"ResponseController.Flush": func(w gin.ResponseWriter) {
			if err := http.NewResponseController(w).Flush(); err != nil {
				t.Errorf("ResponseController.Flush: %v", err)
			}
		},
	}
	for name, fn := range first {
		r.GET("/"+name, func(c *gin.Context) {
			s, w := sessionsgin.FromContext(c), c.Writer
			s.Set("k", name)
			if w.Written() || w.Size() != -1 || w.Status() != http.StatusOK {
				t.Errorf("%s: before it: Written %v, Size %d, Status %d", name, w.Written(), w.Size(), w.Status())
			}
			fn(w)
			if err := s.Renew(); !errors.Is(err, sessions.ErrCommitted) {
				t.Errorf("%s did not commit the session: Renew after it: %v", name, err)
			}
			n, err := w.WriteString("body")
			if n != 4 || err != nil || !w.Written() || w.Size() < 4 {
				t.Errorf("%s: WriteString after it: %d, %v; Written %v, Size %d", name, n, err, w.Written(), w.Size())
			}
		})
	}
	r.GET("/others", func(c *gin.Context) {
		w := c.Writer
		if w.CloseNotify() == nil { //nolint:staticcheck // gin.ResponseWriter still has it
			t.Error("CloseNotify: nil channel")
		}
		if w.Pusher() != nil {
			t.Error("Pusher on HTTP/1.1: not nil")
		}
		rc := http.NewResponseController(w)
		if err := rc.SetWriteDeadline(time.Now().Add(time.Minute)); err != nil {
			t.Errorf("ResponseController.SetWriteDeadline through Unwrap: %v", err)
		}
		inner := w.(interface{ Unwrap() http.ResponseWriter }).Unwrap()
		if _, ok := inner.(gin.ResponseWriter); !ok || inner == http.ResponseWriter(w) {
			t.Errorf("Unwrap: %T, want gin's own writer", inner)
		}
		w.Header().Set("X-Header", "kept")
		w.WriteHeader(http.StatusCreated)
		if w.Status() != http.StatusCreated || w.Written() {
			t.Errorf("after WriteHeader(201): Status %d, Written %v; want 201, false", w.Status(), w.Written())
		}
		w.Write([]byte("abc"))
		if w.Size() != 3 || !w.Written() {
			t.Errorf("after Write: Size %d, Written %v; want 3, true", w.Size(), w.Written())
		}
	})
	srv := httptest.NewServer(r)
	defer srv.Close()

	for name := range first {
		resp, err := http.Get(srv.URL + "/" + name)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if sessionCookie(resp) == nil {
			t.Errorf("GET /%s: no session cookie", name)
		}
		if len(b) < 4 || string(b[len(b)-4:]) != "body" {
			t.Errorf("GET /%s: body %q, want it to end in body", name, b)
		}
	}
	resp, err := http.Get(srv.URL + "/others")
	if err != nil {
		t.Fatal(err)
	}
	if b := body(resp); resp.StatusCode != http.StatusCreated || b != "abc" || resp.Header.Get("X-Header") != "kept" {
		t.Errorf("GET /others: %d %q X-Header %q; want 201 abc kept", resp.StatusCode, b, resp.Header.Get("X-Header"))
	}
}

// TestWriterHijack: Hijack commits the session first, so the header map
// holds its cookie for the upgrade response the handler writes itself.
func TestWriterHijack(t *testing.T) {
	st, client := rigStore(t)
	r := newEngine(st, sessionsgin.Options{})
	r.GET("/ws", func(c *gin.Context) {
		s := sessionsgin.FromContext(c)
		s.Set("k", "hijacked")
		conn, rw, err := c.Writer.Hijack()
		if err != nil {
			t.Errorf("Hijack: %v", err)
			return
		}
		defer conn.Close()
		if err := s.Renew(); !errors.Is(err, sessions.ErrCommitted) {
			t.Errorf("Hijack did not commit the session: Renew after it: %v", err)
		}
		rw.WriteString("HTTP/1.1 101 Switching Protocols\r\nUpgrade: test\r\nConnection: Upgrade\r\n")
		c.Writer.Header().Write(rw)
		rw.WriteString("\r\nhello")
		rw.Flush()
	})
	srv := httptest.NewServer(r)
	defer srv.Close()

	req, _ := http.NewRequest(http.MethodGet, srv.URL+"/ws", nil)
	req.Header.Set("Connection", "Upgrade")
	req.Header.Set("Upgrade", "test")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusSwitchingProtocols || sessionCookie(resp) == nil {
		t.Fatalf("GET /ws: status %d, cookie %v; want 101 with the session cookie", resp.StatusCode, sessionCookie(resp) != nil)
	}
	line, _ := bufio.NewReader(resp.Body.(io.Reader)).ReadString('\n')
	if line != "hello" {
		t.Errorf("GET /ws: upgraded stream %q, want hello", line)
	}
	if ks := records(t, st, client); len(ks) != 1 {
		t.Errorf("after GET /ws: %d records, want the session's 1", len(ks))
	}
}
