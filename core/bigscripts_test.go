package sessions_test

import (
	"context"
	"fmt"
	"strconv"
	"testing"

	sessions "github.com/gosessions/sessions/core"
	"github.com/redis/go-redis/v9"
)

func sizeOf(t *testing.T, client redis.UniversalClient, key string) (z int, actual int) {
	h, err := client.HGetAll(context.Background(), key).Result()
	if err != nil {
		t.Fatal(err)
	}
	z, _ = strconv.Atoi(h["_z"])
	for f, v := range h {
		if f[0] != '_' {
			actual += len(f) + len(v)
		}
	}
	return
}

func TestManyFields(t *testing.T) {
	st, client := newCookieStore(t, sessions.StoreOptions{MaxSize: 10 << 20}, sessions.CookieOptions{})
	const n = 20000
	w := exchange(t, st, nil, func(s *sessions.Session) {
		for i := range n {
			s.Set(fmt.Sprint("k", i), i)
		}
	})
	ck := w.Result().Cookies()
	key := onlyKey(t, st, client)
	if z, r := sizeOf(t, client, key); z != r {
		t.Errorf("after create: _z=%d actual=%d", z, r)
	}
	// update many, delete many, incr
	exchange(t, st, ck, func(s *sessions.Session) {
		for i := range n {
			if i%2 == 0 {
				s.Delete(fmt.Sprint("k", i))
			} else {
				s.Set(fmt.Sprint("k", i), "vv")
			}
		}
		if _, err := s.Incr("k1x", 3); err != nil {
			t.Fatal(err)
		}
	})
	if z, r := sizeOf(t, client, key); z != r {
		t.Errorf("after update: _z=%d actual=%d", z, r)
	}
	exchange(t, st, ck, func(s *sessions.Session) {
		s.Clear()
		for i := range n {
			s.Set(fmt.Sprint("j", i), i)
		}
	})
	if z, r := sizeOf(t, client, key); z != r {
		t.Errorf("after clear+set: _z=%d actual=%d", z, r)
	}
	var ks []string
	w = exchange(t, st, ck, func(s *sessions.Session) {
		if err := s.Renew(); err != nil {
			t.Fatal(err)
		}
	})
	exchange(t, st, w.Result().Cookies(), func(s *sessions.Session) { ks, _ = s.Keys() })
	if len(ks) != n {
		t.Errorf("after renew: %d keys, want %d", len(ks), n)
	}
	key = onlyKey(t, st, client)
	if z, r := sizeOf(t, client, key); z != r {
		t.Errorf("after renew: _z=%d actual=%d", z, r)
	}
}

func TestBigIncrSize(t *testing.T) {
	st, client := newCookieStore(t, sessions.StoreOptions{}, sessions.CookieOptions{})
	w := exchange(t, st, nil, func(s *sessions.Session) {
		s.Set("a", 1)
		if _, err := s.Incr("n", 9007199254740993); err != nil {
			t.Fatal(err)
		}
	})
	key := onlyKey(t, st, client)
	if z, r := sizeOf(t, client, key); z != r {
		t.Errorf("_z=%d actual=%d", z, r)
	}
	exchange(t, st, w.Result().Cookies(), func(s *sessions.Session) {
		s.Set("n", 9007199254740993)
		if v, err := s.Incr("n", 1); err != nil || v != 9007199254740994 {
			t.Errorf("Incr = %d %v", v, err)
		}
	})
	if z, r := sizeOf(t, client, key); z != r {
		t.Errorf("_z=%d actual=%d", z, r)
	}
}
