package contract_test

import (
	"errors"
	"io"
	"net"
	"net/url"
	"sync"
	"testing"
)

// storeProxy stands between a program and the rig's store, so that a test
// can take the store away under a running program and bring it back: it
// forwards each TCP connection to the store until cut, then closes every
// connection and closes new ones at once, as a store that went down does;
// restore lets them through again. The store's data is untouched.
type storeProxy struct {
	ln       net.Listener
	upstream string // host:port of the store

	mu    sync.Mutex
	down  bool
	conns map[net.Conn]struct{}
	wg    sync.WaitGroup
}

// startStoreProxy starts a proxy to the one-node store at storeURL and
// returns it with the URL a program reaches the store through. It skips
// the test for a Cluster or Sentinel URL, whose clients find the nodes
// themselves.
func startStoreProxy(t *testing.T, storeURL string) (*storeProxy, string) {
	t.Helper()
	u, err := url.Parse(storeURL)
	if err != nil {
		t.Fatalf("REDICT_URL does not parse: %v", err)
	}
	switch u.Scheme {
	case "redis", "redict":
	default:
		t.Skipf("the test cuts the store with a TCP proxy, for a one-node redis:// URL; REDICT_URL is %s://", u.Scheme)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p := &storeProxy{ln: ln, upstream: u.Host, conns: map[net.Conn]struct{}{}}
	p.wg.Go(p.serve)
	t.Cleanup(p.close)
	u.Host = ln.Addr().String()
	return p, u.String()
}

func (p *storeProxy) serve() {
	for {
		c, err := p.ln.Accept()
		if err != nil {
			return // closed
		}
		p.mu.Lock()
		down := p.down
		if !down {
			p.conns[c] = struct{}{}
		}
		p.mu.Unlock()
		if down {
			c.Close()
			continue
		}
		p.wg.Go(func() { p.forward(c) })
	}
}

// forward copies between client c and a new connection to the store, both
// ways, until either side closes or the proxy is cut.
func (p *storeProxy) forward(c net.Conn) {
	defer p.drop(c)
	s, err := net.Dial("tcp", p.upstream)
	if err != nil {
		return
	}
	p.mu.Lock()
	if p.down {
		p.mu.Unlock()
		s.Close()
		return
	}
	p.conns[s] = struct{}{}
	p.mu.Unlock()
	defer p.drop(s)
	done := make(chan struct{}, 2)
	pipe := func(dst, src net.Conn) {
		_, err := io.Copy(dst, src)
		if err != nil && !errors.Is(err, net.ErrClosed) {
			dst.Close()
		}
		done <- struct{}{}
	}
	go pipe(s, c)
	go pipe(c, s)
	<-done // one way ended: end both
	c.Close()
	s.Close()
	<-done
}

func (p *storeProxy) drop(c net.Conn) {
	c.Close()
	p.mu.Lock()
	delete(p.conns, c)
	p.mu.Unlock()
}

// cut takes the store away: every connection through the proxy closes, and
// new ones close as they come, until restore.
func (p *storeProxy) cut() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.down = true
	for c := range p.conns {
		c.Close()
	}
}

// restore brings the store back.
func (p *storeProxy) restore() {
	p.mu.Lock()
	p.down = false
	p.mu.Unlock()
}

func (p *storeProxy) close() {
	p.ln.Close()
	p.cut()
	p.wg.Wait()
}
