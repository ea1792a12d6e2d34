package sessions_test

import (
	"errors"
	"slices"
	"testing"

	sessions "github.com/gosessions/sessions/core"
)

// With StoreOptions.Optimistic, a save of a value over one another request
// changed since this one read it fails with ErrConflict and writes
// nothing; increments never conflict; without the option the last save
// wins.
func TestOptimisticSave(t *testing.T) {
	t.Parallel()
	for _, optimistic := range []bool{true, false} {
		st, _ := newCookieStore(t, sessions.StoreOptions{Optimistic: optimistic}, sessions.CookieOptions{})
		cookies := exchange(t, st, nil, func(s *sessions.Session) { s.Set("cart", "tea") }).Result().Cookies()
		a, ca, _ := load(st, cookies)
		if v, _, _ := sessions.Get[string](a, "cart"); v != "tea" {
			t.Fatalf("A read %q", v)
		}
		exchange(t, st, cookies, func(s *sessions.Session) { s.Set("cart", "tea,milk") }) // B, meanwhile
		if _, err := a.Incr("visits", 1); err != nil {
			t.Errorf("optimistic %v: an Incr after B's change: %v, want no conflict", optimistic, err)
		}
		a.Set("cart", "tea,sugar")
		err := st.Save(t.Context(), ca, a)
		want := "tea,sugar"
		if optimistic {
			want = "tea,milk"
			if !errors.Is(err, sessions.ErrConflict) || sessions.ErrorStatus(err) != 409 {
				t.Errorf("optimistic save over B's change: %v, want ErrConflict (409)", err)
			}
		} else if err != nil {
			t.Errorf("plain save: %v", err)
		}
		exchange(t, st, cookies, func(s *sessions.Session) {
			if v, _, _ := sessions.Get[string](s, "cart"); v != want {
				t.Errorf("optimistic %v: cart = %q, want %q", optimistic, v, want)
			}
		})
	}
}

// Update reruns its function on the values another request changed
// meanwhile, so neither change is lost; it gives up with ErrConflict.
func TestUpdateRetries(t *testing.T) {
	t.Parallel()
	st, _ := newCookieStore(t, sessions.StoreOptions{}, sessions.CookieOptions{})
	cookies := exchange(t, st, nil, func(s *sessions.Session) { s.Set("cart", []string{"tea"}) }).Result().Cookies()
	add := func(item string) func(s *sessions.Session) { // another tab's Update
		return func(s *sessions.Session) {
			if err := s.Update(func(s *sessions.Session) error {
				cart, _, err := sessions.Get[[]string](s, "cart")
				if err != nil {
					return err
				}
				return s.Set("cart", append(cart, item))
			}); err != nil {
				t.Fatal(err)
			}
		}
	}
	runs := 0
	exchange(t, st, cookies, func(s *sessions.Session) {
		err := s.Update(func(s *sessions.Session) error {
			runs++
			cart, _, err := sessions.Get[[]string](s, "cart")
			if err != nil {
				return err
			}
			if runs == 1 {
				exchange(t, st, cookies, add("milk")) // between this read and this write
			}
			return s.Set("cart", append(cart, "sugar"))
		})
		if err != nil {
			t.Fatalf("Update: %v", err)
		}
	})
	exchange(t, st, cookies, func(s *sessions.Session) {
		cart, _, _ := sessions.Get[[]string](s, "cart")
		slices.Sort(cart)
		if runs != 2 || !slices.Equal(cart, []string{"milk", "sugar", "tea"}) {
			t.Errorf("after two concurrent Updates: cart %v after %d runs; want all three items, 2 runs", cart, runs)
		}
	})
	// Always raced: ErrConflict after UpdateAttempts runs.
	runs = 0
	exchange(t, st, cookies, func(s *sessions.Session) {
		err := s.Update(func(s *sessions.Session) error {
			runs++
			sessions.Get[[]string](s, "cart")
			exchange(t, st, cookies, add("x"))
			return s.Set("cart", []string{"lost"})
		})
		if !errors.Is(err, sessions.ErrConflict) || runs != sessions.UpdateAttempts {
			t.Errorf("Update always raced: %v after %d runs, want ErrConflict after %d", err, runs, sessions.UpdateAttempts)
		}
	})
}
