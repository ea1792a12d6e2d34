package sessions

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/url"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"
)

// Schemes NewClient accepts.
var clientSchemes = []string{
	"redis", "rediss", "redict", "redicts",
	"redis+cluster", "rediss+cluster", "redis+sentinel", "rediss+sentinel",
}

// NewClient returns a go-redis client for a store URL:
//
//	redis://[user:pass@]host:port[/db][?params]       one node (rediss: TLS)
//	redict://... and redicts://...                    the same, by Redict's name
//	redis+cluster://[user:pass@]h1:p1[,h2:p2...][/][?params]
//	                                                  a Cluster, from any of its nodes
//	redis+sentinel://[user:pass@]s1:p1[,s2:p2...]/MASTER[/db][?params]
//	                                                  the primary a set of Sentinels names
//
// and rediss+cluster:// and rediss+sentinel:// for TLS. The query takes
// go-redis's option names (dial_timeout, read_timeout, pool_size,
// max_retries, ...); with Sentinel, user and password are the data
// nodes', and sentinel_username and sentinel_password the Sentinels'.
//
// The client honours context deadlines on the socket, so
// StoreOptions.Timeout bounds every operation, and fails fast when the
// store is down (one retry, one redial, unless the URL says otherwise).
// A malformed URL is refused with an error wrapping ErrInvalidOptions that
// never echoes a credential.
func NewClient(rawURL string) (redis.UniversalClient, error) {
	return NewClientWith(rawURL, ClientOptions{})
}

// ClientOptions are NewClientWith's options beyond the URL. The zero value
// is NewClient.
type ClientOptions struct {
	// Dialer opens the connections to the store's nodes (and to the
	// Sentinels), for a proxy, a tunnel or a test. Default: net.Dialer.
	Dialer func(ctx context.Context, network, addr string) (net.Conn, error)
}

// NewClientWith is NewClient with options.
func NewClientWith(rawURL string, co ClientOptions) (redis.UniversalClient, error) {
	if strings.TrimSpace(rawURL) == "" {
		return nil, fmt.Errorf("%w: the store URL is empty (want redis://host:port/0 or another of %s)", ErrInvalidOptions, strings.Join(clientSchemes, ", "))
	}
	scheme, rest, ok := strings.Cut(rawURL, "://")
	if !ok {
		return nil, fmt.Errorf("%w: the store URL has no scheme (want one of %s)", ErrInvalidOptions, strings.Join(clientSchemes, ", "))
	}
	scheme = strings.ToLower(scheme)
	base, kind, _ := strings.Cut(scheme, "+")
	switch base {
	case "redict":
		base = "redis"
	case "redicts":
		base = "rediss"
	}
	if (base != "redis" && base != "rediss") || (kind != "" && kind != "cluster" && kind != "sentinel") ||
		(kind != "" && strings.HasPrefix(scheme, "redict")) {
		// The scheme is before any credential: it is safe to name.
		return nil, fmt.Errorf("%w: store URL scheme %q: want one of %s", ErrInvalidOptions, scheme, strings.Join(clientSchemes, ", "))
	}
	// Split the host list off by hand: url.Parse takes one host only.
	authority, tail := rest, ""
	if i := strings.IndexAny(rest, "/?#"); i >= 0 {
		authority, tail = rest[:i], rest[i:]
	}
	if strings.Contains(tail, "@") {
		// A user or password holding an unescaped / ? or #: the split
		// above would cut it, and echo its tail in an error.
		return nil, fmt.Errorf("%w: the store URL holds @ after its host: percent-encode / ? # and @ in its user and password", ErrInvalidOptions)
	}
	userinfo, hostlist := "", authority
	if i := strings.LastIndex(authority, "@"); i >= 0 {
		userinfo, hostlist = authority[:i+1], authority[i+1:]
	}
	var hosts []string
	for _, h := range strings.Split(hostlist, ",") {
		if h == "" {
			continue
		}
		if _, port, err := net.SplitHostPort(h); err != nil || port == "" {
			if kind == "" && !strings.Contains(h, ":") {
				hosts = append(hosts, h) // one node: the port defaults to 6379
				continue
			}
			return nil, fmt.Errorf("%w: store URL host %q: want host:port", ErrInvalidOptions, h)
		}
		hosts = append(hosts, h)
	}
	switch {
	case len(hosts) == 0:
		return nil, fmt.Errorf("%w: the store URL names no host", ErrInvalidOptions)
	case len(hosts) > 1 && kind == "":
		return nil, fmt.Errorf("%w: the store URL names several hosts: use redis+cluster:// or redis+sentinel://", ErrInvalidOptions)
	}
	u, err := url.Parse(base + "://" + userinfo + hosts[0] + tail)
	if err != nil {
		// url's errors quote the URL, credentials and all.
		return nil, fmt.Errorf("%w: the store URL does not parse", ErrInvalidOptions)
	}
	secret := func(err error) error {
		// go-redis's messages may quote the URL's path or query; pass
		// on only the name of an unknown option.
		msg := strings.TrimPrefix(err.Error(), "redis: ")
		if !strings.HasPrefix(msg, "unexpected option") {
			msg = "invalid (check the database number and the options)"
		}
		return fmt.Errorf("%w: store URL: %s", ErrInvalidOptions, msg)
	}
	q := u.Query()
	_, retries := q["max_retries"]
	_, dialRetries := q["dialer_retries"]
	switch kind {
	case "cluster":
		return newClusterClient(u, q, hosts, dialRetries, co, secret)
	case "sentinel":
		return newSentinelClient(u, q, hosts, base, retries, dialRetries, co, secret)
	}
	opt, err := redis.ParseURL(u.String())
	if err != nil {
		return nil, secret(err)
	}
	opt.Dialer = co.Dialer
	opt.ContextTimeoutEnabled = true
	failFast(&opt.MaxRetries, &opt.DialerRetries, retries, dialRetries)
	return redis.NewClient(opt), nil
}

// newClusterClient is NewClient for redis+cluster URLs.
func newClusterClient(u *url.URL, q url.Values, hosts []string, dialRetries bool, co ClientOptions, secret func(error) error) (redis.UniversalClient, error) {
	if p := strings.Trim(u.Path, "/"); p != "" {
		return nil, fmt.Errorf("%w: a Cluster URL takes no database (a Cluster has only database 0)", ErrInvalidOptions)
	}
	for _, h := range hosts[1:] {
		q.Add("addr", h)
	}
	u.RawQuery = q.Encode()
	opt, err := redis.ParseClusterURL(u.String())
	if err != nil {
		return nil, secret(err)
	}
	opt.Dialer = co.Dialer
	opt.ContextTimeoutEnabled = true
	// A Cluster's retries are its redirections: enough of them (with
	// go-redis's backoff, about 1.5 s in all) to see a slot migration
	// through, within Timeout. Its node clients keep go-redis's default
	// of no retries.
	if _, set := q["max_redirects"]; !set {
		opt.MaxRedirects = 8
	}
	if !dialRetries {
		opt.DialerRetries = 1
	}
	if opt.TLSConfig != nil {
		// Check each node's certificate against its own name, not the
		// first seed's.
		opt.TLSConfig.ServerName = ""
	}
	// A primary that dies answers no MOVED: reload the slot map often,
	// and at once on a network error, so that its replica's promotion
	// is seen within seconds rather than a minute.
	opt.ClusterStateReloadInterval = time.Second
	c := redis.NewClusterClient(opt)
	c.AddHook(reloadOnNetError{c})
	return c, nil
}

// newSentinelClient is NewClient for redis+sentinel URLs.
func newSentinelClient(u *url.URL, q url.Values, hosts []string, base string, retries, dialRetries bool, co ClientOptions, secret func(error) error) (redis.UniversalClient, error) {
	path := strings.Split(strings.Trim(u.Path, "/"), "/")
	if path[0] == "" || len(path) > 2 {
		return nil, fmt.Errorf("%w: a Sentinel URL needs /MASTER or /MASTER/db after the hosts", ErrInvalidOptions)
	}
	master, err := url.PathUnescape(path[0])
	if err != nil {
		return nil, fmt.Errorf("%w: the Sentinel master name does not parse", ErrInvalidOptions)
	}
	// go-redis reads the URL's user as the Sentinels'; ours is the data
	// nodes', as with the other forms.
	user := u.User.Username()
	pass, _ := u.User.Password()
	sentUser, sentPass := q.Get("sentinel_username"), q.Get("sentinel_password")
	q.Del("sentinel_username")
	q.Del("sentinel_password")
	q.Set("master_name", master)
	for _, h := range hosts[1:] {
		q.Add("addr", h)
	}
	v := &url.URL{Scheme: base, Host: u.Host, RawQuery: q.Encode()}
	if len(path) == 2 {
		v.Path = "/" + path[1]
	}
	opt, err := redis.ParseFailoverURL(v.String())
	if err != nil {
		return nil, secret(err)
	}
	opt.Username, opt.Password = user, pass
	opt.SentinelUsername, opt.SentinelPassword = sentUser, sentPass
	opt.Dialer = co.Dialer
	opt.ContextTimeoutEnabled = true
	failFast(&opt.MaxRetries, &opt.DialerRetries, retries, dialRetries)
	return redis.NewFailoverClient(opt), nil
}

// failFast keeps one retry and one redial, unless the URL chose: a session
// store that is down should turn into a 503 quickly, not after seconds of
// redials. The store's writes are safe to retry.
func failFast(maxRetries, dialerRetries *int, retriesSet, dialSet bool) {
	if !retriesSet {
		*maxRetries = 1
	}
	if !dialSet {
		*dialerRetries = 1
	}
}

// reloadOnNetError reloads a Cluster client's slot map when a command
// fails on the network (a dead primary), instead of waiting for the next
// periodic reload.
type reloadOnNetError struct{ c *redis.ClusterClient }

func (h reloadOnNetError) DialHook(next redis.DialHook) redis.DialHook { return next }

func (h reloadOnNetError) ProcessHook(next redis.ProcessHook) redis.ProcessHook {
	return func(ctx context.Context, cmd redis.Cmder) error {
		err := next(ctx, cmd)
		h.check(err)
		return err
	}
}

func (h reloadOnNetError) ProcessPipelineHook(next redis.ProcessPipelineHook) redis.ProcessPipelineHook {
	return func(ctx context.Context, cmds []redis.Cmder) error {
		err := next(ctx, cmds)
		h.check(err)
		return err
	}
}

func (h reloadOnNetError) check(err error) {
	var ne net.Error
	if err != nil && (errors.As(err, &ne) || errors.Is(err, io.EOF) || strings.Contains(err.Error(), "CLUSTERDOWN")) {
		h.c.ReloadState(context.Background())
	}
}
