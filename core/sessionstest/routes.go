package sessionstest

import (
	"errors"
	"net/http"
	"net/url"
	"strconv"

	sessions "github.com/gosessions/sessions/core"
)

// kitRoutes returns the kit's test app. Like a careless app, the routes
// that read (/get, /incr, /keys, ...) ignore store errors and answer 200
// with an empty result: the integration itself must turn a store failure
// into a 503, whatever the route answered.
func kitRoutes(st *sessions.Store) []Route {
	return append([]Route{
		{http.MethodGet, "/untouched", routeUntouched},
		{http.MethodGet, "/get", routeGet},
		{http.MethodPost, "/set", routeSet},
		{http.MethodPost, "/getset", routeGetSet},
		{http.MethodPost, "/incr", routeIncr},
		{http.MethodPost, "/renew", routeRenew},
		{http.MethodPost, "/destroy", routeDestroy},
		{http.MethodPost, "/destroy-then-set", routeDestroyThenSet},
		{http.MethodPost, "/flash-add", routeFlashAdd},
		{http.MethodGet, "/flashes", routeFlashes},
		{http.MethodPost, "/clear", routeClear},
		{http.MethodGet, "/keys", routeKeys},
		{http.MethodGet, "/isnew", routeIsNew},
		{http.MethodPost, "/append", routeAppend},
		{http.MethodGet, "/getlist", routeGetList},
		{http.MethodPost, "/fail", routeFail},
	}, append(accountRoutes(st), lockRoutes()...)...)
}

type obj = map[string]any

// routeUntouched never touches the session.
func routeUntouched(*sessions.Session, url.Values) (int, any) {
	return http.StatusOK, obj{"ok": true}
}

// routeGet replies {"found", "v"} for key k; an error reads as not found.
func routeGet(s *sessions.Session, form url.Values) (int, any) {
	v, ok, err := sessions.Get[string](s, form.Get("k"))
	if err != nil {
		return http.StatusOK, obj{"found": false}
	}
	return http.StatusOK, obj{"found": ok, "v": v}
}

// routeSet sets k to v; 413 when the value alone is too large.
func routeSet(s *sessions.Session, form url.Values) (int, any) {
	return set(s, form.Get("k"), form.Get("v"))
}

func set(s *sessions.Session, k, v string) (int, any) {
	if err := s.Set(k, v); err != nil {
		if errors.Is(err, sessions.ErrTooLarge) {
			return http.StatusRequestEntityTooLarge, obj{"error": "too large"}
		}
		return http.StatusInternalServerError, obj{"error": "set failed"}
	}
	return http.StatusOK, obj{"ok": true}
}

// routeGetSet reads k, then sets it to v; it replies the old value.
func routeGetSet(s *sessions.Session, form url.Values) (int, any) {
	old, ok, _ := sessions.Get[string](s, form.Get("k"))
	if status, body := set(s, form.Get("k"), form.Get("v")); status != http.StatusOK {
		return status, body
	}
	return http.StatusOK, obj{"found": ok, "v": old}
}

// routeIncr adds d (default 1) to k and replies {"n"}; an error reads 0.
func routeIncr(s *sessions.Session, form url.Values) (int, any) {
	d := int64(1)
	if ds := form.Get("d"); ds != "" {
		d, _ = strconv.ParseInt(ds, 10, 64)
	}
	n, err := s.Incr(form.Get("k"), d)
	if err != nil {
		return http.StatusOK, obj{"n": 0}
	}
	return http.StatusOK, obj{"n": n}
}

// routeRenew renews the session, then sets "user" to the form's user.
func routeRenew(s *sessions.Session, form url.Values) (int, any) {
	err := s.Renew()
	if status, body := set(s, "user", form.Get("user")); status != http.StatusOK {
		return status, body
	}
	return http.StatusOK, obj{"ok": err == nil}
}

// routeDestroy destroys the session.
func routeDestroy(s *sessions.Session, _ url.Values) (int, any) {
	return http.StatusOK, obj{"ok": s.Destroy() == nil}
}

// routeDestroyThenSet destroys the session, then sets k to v, which
// starts a new one.
func routeDestroyThenSet(s *sessions.Session, form url.Values) (int, any) {
	_ = s.Destroy() // a store failure is the integration's to answer
	return set(s, form.Get("k"), form.Get("v"))
}

// routeFlashAdd queues the flash message m.
func routeFlashAdd(s *sessions.Session, form url.Values) (int, any) {
	return http.StatusOK, obj{"ok": s.AddFlash(form.Get("m")) == nil}
}

// routeFlashes replies the queued flash messages, consuming them.
func routeFlashes(s *sessions.Session, _ url.Values) (int, any) {
	msgs, _ := s.Flashes()
	if msgs == nil {
		msgs = []string{}
	}
	return http.StatusOK, obj{"flashes": msgs}
}

// routeClear removes every key of the session.
func routeClear(s *sessions.Session, _ url.Values) (int, any) {
	s.Clear()
	return http.StatusOK, obj{"ok": true}
}

// routeKeys replies the session's keys.
func routeKeys(s *sessions.Session, _ url.Values) (int, any) {
	keys, _ := s.Keys()
	if keys == nil {
		keys = []string{}
	}
	return http.StatusOK, obj{"keys": keys}
}

// routeIsNew replies whether the session is new.
func routeIsNew(s *sessions.Session, _ url.Values) (int, any) {
	return http.StatusOK, obj{"isnew": s.IsNew()}
}

// routeAppend appends v to the list under k with Session.Update; 409 when
// it kept losing the race.
func routeAppend(s *sessions.Session, form url.Values) (int, any) {
	err := s.Update(func(s *sessions.Session) error {
		list, _, err := sessions.Get[[]string](s, form.Get("k"))
		if err != nil {
			return err
		}
		return s.Set(form.Get("k"), append(list, form.Get("v")))
	})
	switch {
	case errors.Is(err, sessions.ErrConflict):
		return http.StatusConflict, obj{"error": "conflict"}
	case err != nil:
		return http.StatusOK, obj{"ok": false} // the integration answers a store failure
	}
	return http.StatusOK, obj{"ok": true}
}

// routeGetList replies the []string under k.
func routeGetList(s *sessions.Session, form url.Values) (int, any) {
	list, _, _ := sessions.Get[[]string](s, form.Get("k"))
	if list == nil {
		list = []string{}
	}
	return http.StatusOK, obj{"list": list}
}
