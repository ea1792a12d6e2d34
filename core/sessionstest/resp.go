package sessionstest

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"net"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// respConn is a minimal RESP2 client straight to the store server (not
// through a proxy), for the kit's own look at what the store holds.
type respConn struct {
	mu sync.Mutex
	c  net.Conn
	r  *bufio.Reader
}

// respError is an error reply from the server.
type respError string

func (e respError) Error() string { return "server error: " + string(e) }

// dialRESP connects to the server of e, authenticates and selects its
// database, and closes the connection when t ends.
func dialRESP(t testing.TB, e *env) *respConn {
	t.Helper()
	c, err := net.DialTimeout("tcp", e.addr, 5*time.Second)
	if err != nil {
		t.Fatalf("sessionstest: connect to the store server: %v", err)
	}
	rc := &respConn{c: c, r: bufio.NewReader(c)}
	t.Cleanup(func() { c.Close() })
	if e.password != "" {
		args := []string{"AUTH", e.password}
		if e.username != "" {
			args = []string{"AUTH", e.username, e.password}
		}
		if _, err := rc.do(args...); err != nil {
			t.Fatalf("sessionstest: store server AUTH failed")
		}
	}
	if e.db != 0 {
		if _, err := rc.do("SELECT", strconv.Itoa(e.db)); err != nil {
			t.Fatalf("sessionstest: store server SELECT %d: %v", e.db, err)
		}
	}
	return rc
}

// do sends one command and returns its reply: string (simple or bulk),
// int64, []any, nil (a null), or an error (respError for an error reply).
func (rc *respConn) do(args ...string) (any, error) {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	rc.c.SetDeadline(time.Now().Add(5 * time.Second))
	var b strings.Builder
	fmt.Fprintf(&b, "*%d\r\n", len(args))
	for _, a := range args {
		fmt.Fprintf(&b, "$%d\r\n%s\r\n", len(a), a)
	}
	if _, err := io.WriteString(rc.c, b.String()); err != nil {
		return nil, err
	}
	return rc.reply()
}

func (rc *respConn) reply() (any, error) {
	line, err := rc.r.ReadString('\n')
	if err != nil {
		return nil, err
	}
	line = strings.TrimSuffix(line, "\r\n")
	if line == "" {
		return nil, errors.New("empty reply line")
	}
	body := line[1:]
	switch line[0] {
	case '+':
		return body, nil
	case '-':
		return nil, respError(body)
	case ':':
		return strconv.ParseInt(body, 10, 64)
	case '$':
		n, err := strconv.Atoi(body)
		if err != nil {
			return nil, err
		}
		if n < 0 {
			return nil, nil
		}
		buf := make([]byte, n+2)
		if _, err := io.ReadFull(rc.r, buf); err != nil {
			return nil, err
		}
		return string(buf[:n]), nil
	case '*':
		n, err := strconv.Atoi(body)
		if err != nil {
			return nil, err
		}
		if n < 0 {
			return nil, nil
		}
		out := make([]any, n)
		for i := range out {
			if out[i], err = rc.reply(); err != nil {
				return nil, err
			}
		}
		return out, nil
	}
	return nil, fmt.Errorf("unexpected reply type %q", line[0])
}

// keys returns every key that starts with prefix.
func (rc *respConn) keys(t testing.TB, prefix string) []string {
	t.Helper()
	var keys []string
	cursor := "0"
	for {
		v, err := rc.do("SCAN", cursor, "MATCH", globEscape(prefix)+"*", "COUNT", "1000")
		if err != nil {
			t.Fatalf("sessionstest: SCAN: %v", err)
		}
		arr, ok := v.([]any)
		if !ok || len(arr) != 2 {
			t.Fatalf("sessionstest: SCAN: unexpected reply")
		}
		cursor, _ = arr[0].(string)
		batch, _ := arr[1].([]any)
		for _, k := range batch {
			keys = append(keys, k.(string))
		}
		if cursor == "0" {
			return keys
		}
	}
}

// pttl returns the key's time to live in milliseconds (-2: no key, -1:
// no TTL).
func (rc *respConn) pttl(t testing.TB, key string) int64 {
	t.Helper()
	v, err := rc.do("PTTL", key)
	if err != nil {
		t.Fatalf("sessionstest: PTTL: %v", err)
	}
	n, _ := v.(int64)
	return n
}

// hgetall returns the hash at key.
func (rc *respConn) hgetall(t testing.TB, key string) map[string]string {
	t.Helper()
	v, err := rc.do("HGETALL", key)
	if err != nil {
		t.Fatalf("sessionstest: HGETALL: %v", err)
	}
	arr, _ := v.([]any)
	h := make(map[string]string, len(arr)/2)
	for i := 0; i+1 < len(arr); i += 2 {
		f, _ := arr[i].(string)
		h[f], _ = arr[i+1].(string)
	}
	return h
}

// contents returns every string a key holds, whatever its type (a
// record's fields and values, a journal entry's value), for leak checks.
func (rc *respConn) contents(t testing.TB, key string) []string {
	t.Helper()
	v, err := rc.do("TYPE", key)
	if err != nil {
		t.Fatalf("sessionstest: TYPE: %v", err)
	}
	switch v {
	case "hash":
		var out []string
		for f, val := range rc.hgetall(t, key) {
			out = append(out, f, val)
		}
		return out
	case "string":
		v, err := rc.do("GET", key)
		if err != nil {
			t.Fatalf("sessionstest: GET: %v", err)
		}
		s, _ := v.(string)
		return []string{s}
	case "zset":
		v, err := rc.do("ZRANGE", key, "0", "-1")
		if err != nil {
			t.Fatalf("sessionstest: ZRANGE: %v", err)
		}
		arr, _ := v.([]any)
		var out []string
		for _, m := range arr {
			s, _ := m.(string)
			out = append(out, s)
		}
		return out
	case "none":
		return nil
	}
	t.Fatalf("sessionstest: key of type %v under the store's prefix", v)
	return nil
}

// exists reports whether key exists.
func (rc *respConn) exists(t testing.TB, key string) bool {
	t.Helper()
	v, err := rc.do("EXISTS", key)
	if err != nil {
		t.Fatalf("sessionstest: EXISTS: %v", err)
	}
	n, _ := v.(int64)
	return n == 1
}

// deletePrefix removes every key that starts with prefix; for cleanup, so
// it reports no error.
func (rc *respConn) deletePrefix(t testing.TB, prefix string) {
	for _, k := range rc.keys(t, prefix) {
		rc.do("DEL", k)
	}
}

// globEscape quotes the glob characters of s for MATCH.
func globEscape(s string) string {
	var b strings.Builder
	for _, r := range s {
		if strings.ContainsRune(`*?[]\`, r) {
			b.WriteByte('\\')
		}
		b.WriteRune(r)
	}
	return b.String()
}
