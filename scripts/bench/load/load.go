// Package load is the benchmark's load generator: simulated users, each
// with its own cookie jar, sending one request at a time to one endpoint
// of a server on the loopback interface, for a bounded time and a bounded
// number of requests.
package load

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// User is one simulated user: a browser with its own cookie jar.
type User struct {
	client *http.Client
	jar    http.CookieJar
}

// NewUsers returns n users sharing one keep-alive transport (so each user
// keeps a connection; the transport keeps up to n idle).
func NewUsers(n int) []*User {
	tr := &http.Transport{
		Proxy:               nil,
		DialContext:         (&net.Dialer{Timeout: 5 * time.Second}).DialContext,
		MaxIdleConns:        n,
		MaxIdleConnsPerHost: n,
		IdleConnTimeout:     time.Minute,
		DisableCompression:  true,
	}
	users := make([]*User, n)
	for i := range users {
		jar, _ := cookiejar.New(nil) // never fails without options
		users[i] = &User{client: &http.Client{Transport: tr, Jar: jar, Timeout: 10 * time.Second}, jar: jar}
	}
	return users
}

// Response is one answer, read whole.
type Response struct {
	Status int
	Header http.Header
	Body   []byte
}

// Get sends one GET as u and reads the answer.
func (u *User) Get(ctx context.Context, rawURL string) (Response, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, rawURL, nil)
	if err != nil {
		return Response{}, err
	}
	return u.do(req)
}

func (u *User) do(req *http.Request) (Response, error) {
	resp, err := u.client.Do(req)
	if err != nil {
		return Response{}, err
	}
	body, err := io.ReadAll(resp.Body)
	if cerr := resp.Body.Close(); err == nil {
		err = cerr
	}
	return Response{Status: resp.StatusCode, Header: resp.Header, Body: body}, err
}

// Post sends one POST of form as u and reads the answer.
func (u *User) Post(ctx context.Context, rawURL string, form url.Values) (Response, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, rawURL, strings.NewReader(form.Encode()))
	if err != nil {
		return Response{}, err
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	return u.do(req)
}

// CloseIdle closes the idle connections of every user's transport.
func CloseIdle(users []*User) {
	for _, u := range users {
		u.client.CloseIdleConnections()
	}
}

// Cookies returns the cookies u would send to rawURL.
func (u *User) Cookies(rawURL string) []*http.Cookie {
	parsed, err := url.Parse(rawURL)
	if err != nil {
		return nil
	}
	return u.jar.Cookies(parsed)
}

// Loopback refuses a URL whose host is not a loopback address: the load
// generator sends traffic to this machine only.
func Loopback(rawURL string) error {
	u, err := url.Parse(rawURL)
	if err != nil {
		return err
	}
	host := u.Hostname()
	if host == "localhost" {
		return nil
	}
	ip := net.ParseIP(host)
	if ip == nil || !ip.IsLoopback() {
		return fmt.Errorf("load: %q is not a loopback address", host)
	}
	return nil
}

// Result is what one run measured.
type Result struct {
	Requests int64         // answered with 200
	Failures int64         // errors and other statuses
	Failure  string        // the first failure, for the report
	Elapsed  time.Duration // from the first request sent to the last answer
	P50, P99 time.Duration // latency of the answered requests
}

// PerSecond is the throughput: answered requests per second.
func (r Result) PerSecond() float64 {
	if r.Elapsed <= 0 {
		return 0
	}
	return float64(r.Requests) / r.Elapsed.Seconds()
}

// Run has every user send GETs to rawURL, one at a time each, until d
// has passed, limit requests have been sent (0: no bound) or ctx ends. A
// request in flight when d passes is waited for and counted (cutting it
// would close its connection, and the next run would start with fresh
// connections and a server still busy with the old requests).
func Run(ctx context.Context, users []*User, rawURL string, d time.Duration, limit int64) (Result, error) {
	if err := Loopback(rawURL); err != nil {
		return Result{}, err
	}
	if d <= 0 {
		return Result{}, errors.New("load: the run needs a duration")
	}
	var (
		sent, fails atomic.Int64
		firstFail   sync.Once
		failure     string
		wg          sync.WaitGroup
		lat         = make([][]time.Duration, len(users))
	)
	start := time.Now()
	deadline := start.Add(d)
	for i, u := range users {
		wg.Add(1)
		go func() {
			defer wg.Done()
			mine := make([]time.Duration, 0, 4096)
			for ctx.Err() == nil && time.Now().Before(deadline) {
				if limit > 0 && sent.Add(1) > limit {
					break
				}
				t0 := time.Now()
				resp, err := u.Get(ctx, rawURL)
				if ctx.Err() != nil {
					break // interrupted: neither counted nor failed
				}
				if err == nil && resp.Status == http.StatusOK {
					mine = append(mine, time.Since(t0))
					continue
				}
				fails.Add(1)
				firstFail.Do(func() {
					if err != nil {
						failure = err.Error()
					} else {
						failure = fmt.Sprintf("status %d: %.200s", resp.Status, resp.Body)
					}
				})
			}
			lat[i] = mine
		}()
	}
	wg.Wait()
	elapsed := time.Since(start)
	all := slices.Concat(lat...)
	slices.Sort(all)
	r := Result{Requests: int64(len(all)), Failures: fails.Load(), Failure: failure, Elapsed: elapsed}
	if len(all) > 0 {
		r.P50 = all[len(all)*50/100]
		r.P99 = all[min(len(all)-1, len(all)*99/100)]
	}
	return r, ctx.Err()
}
