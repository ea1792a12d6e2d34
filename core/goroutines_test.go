package sessions_test

import (
	"context"
	"fmt"
	"sync"
	"testing"

	sessions "github.com/gosessions/sessions/core"
)

func TestGoroutinesOneRequest(t *testing.T) {
	st, _ := newCookieStore(t, sessions.StoreOptions{}, sessions.CookieOptions{})
	old := exchange(t, st, nil, func(s *sessions.Session) { s.Set("user", "ada") }).Result().Cookies()
	for round := 0; round < 20; round++ {
		c, s, w := req(st, old)
		var wg sync.WaitGroup
		for g := 0; g < 8; g++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for i := 0; i < 20; i++ {
					switch (g + i) % 7 {
					case 0:
						s.Set(fmt.Sprint("k", g), i)
					case 1:
						sessions.Get[int](s, "k1")
					case 2:
						if _, err := s.Incr("n", 1); err != nil {
							t.Error(err)
						}
					case 3:
						s.Keys()
					case 4:
						s.AddFlash("m")
					case 5:
						s.Flashes()
					case 6:
						if g == 0 && i == 6 {
							s.Renew()
						}
					}
				}
			}()
		}
		wg.Wait()
		if err := st.Save(context.Background(), c, s); err != nil {
			t.Fatal(err)
		}
		if ck := w.Result().Cookies(); len(ck) > 0 {
			old = ck
		}
		var u string
		exchange(t, st, old, func(s *sessions.Session) { u, _, _ = sessions.Get[string](s, "user") })
		if u != "ada" {
			t.Fatalf("round %d: user lost", round)
		}
	}
	var n int64
	exchange(t, st, old, func(s *sessions.Session) { n, _ = s.Incr("n", 0) })
	if want := int64(20 * 8 * 20 / 7); n < want-30 || n > want+30 {
		t.Logf("n=%d", n)
	}
}
