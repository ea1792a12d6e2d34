package main

import (
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/cookiejar"
	neturl "net/url"
	"regexp"
	"strconv"
	"strings"
	"time"
)

// countPattern finds the count in what a quick start answers: JSON
// ({"count":1}) or text (count: 1).
var countPattern = regexp.MustCompile(`^\s*(?:\{\s*"count"\s*:\s*|count:\s*)(\d+)\s*\}?\s*$`)

// parseCount returns the count a quick-start answer holds.
func parseCount(body string) (int, error) {
	m := countPattern.FindStringSubmatch(body)
	if m == nil {
		return 0, fmt.Errorf("no count in the answer %q", truncate(body))
	}
	return strconv.Atoi(m[1])
}

// probe visits url n times as a browser would, keeping its cookies, and
// checks that the visits answer 200 with the counts 1, 2, ... n. It waits
// up to wait for the server to accept a connection before the first.
func probe(url string, n int, wait time.Duration) error {
	jar, err := cookiejar.New(nil)
	if err != nil {
		return err
	}
	c := &http.Client{Jar: jar, Timeout: 10 * time.Second}
	u, err := neturl.Parse(url)
	if err != nil {
		return err
	}
	deadline := time.Now().Add(wait)
	for {
		conn, err := net.DialTimeout("tcp", u.Host, time.Second) // a request would count
		if err == nil {
			_ = conn.Close() // it answered: the port is open, nothing more to read
			break
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("the server never answered at %s within %s: %w", url, wait, err)
		}
		time.Sleep(50 * time.Millisecond)
	}
	var counts []string
	for i := 1; i <= n; i++ {
		resp, err := c.Get(url)
		if err != nil {
			return err
		}
		body, err := io.ReadAll(io.LimitReader(resp.Body, 1<<16))
		_ = resp.Body.Close() // read already
		if err != nil {
			return err
		}
		if resp.StatusCode != http.StatusOK {
			return fmt.Errorf("GET %s (visit %d): %s %q", url, i, resp.Status, truncate(string(body)))
		}
		got, err := parseCount(string(body))
		if err != nil {
			return fmt.Errorf("GET %s (visit %d): %w", url, i, err)
		}
		if got != i {
			hint := ""
			if got == 1 {
				hint = " (a new session: the cookie was not kept?)"
			}
			return fmt.Errorf("GET %s (visit %d): count %d, want %d%s", url, i, got, i, hint)
		}
		counts = append(counts, strconv.Itoa(got))
	}
	if len(counts) == 0 {
		return errors.New("no visit")
	}
	fmt.Printf("GET %s: %s\n", url, strings.Join(counts, ", then "))
	return nil
}

func truncate(s string) string {
	if len(s) > 200 {
		return s[:200] + "..."
	}
	return s
}
