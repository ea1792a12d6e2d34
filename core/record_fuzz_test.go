package sessions

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

// splitFields turns fuzz input into a stored hash: "field\x00value\x00...".
func splitFields(data string) map[string]string {
	parts := strings.Split(data, "\x00")
	h := make(map[string]string, len(parts)/2)
	for i := 0; i+1 < len(parts); i += 2 {
		h[parts[i]] = parts[i+1]
	}
	return h
}

// recordSeeds are records as stored, and tampered with.
var recordSeeds = []string{
	"_m\x003.1764647240000.99999999999999\x00_s\x001764647240000\x00_r\x003\x00_z\x009\x00d:count\x003",
	"_m\x003.1764647240000.99999999999999\x00_s\x001764647240000\x00_r\x003\x00_z\x009\x00d:count\x003\x00_j\x001764647230000.1764647239000.1\x00_n1764647239000.AAAAAAAAAAA\x003,3",
	"_m\x003.1764647240000.99999999999999\x00_j\x00x.y.z\x00_nq\x00,\x00d:n\x001",
	"_m\x003.1.99999999999999\x00_k\x00not the verifier\x00d:a\x00\"x\"",
	"_m\x002.1.2\x00d:a\x00\"x\"",
	"_m\x001.1.99999999999999\x00d:a\x001",
	"_v\x001\x00_c\x001\x00_a\x0099999999999999\x00d:a\x001",
	"_m\x003..\x00d:a\x001",
	"_m\x003.-5.99999999999999\x00_z\x00-40\x00_r\x00abc\x00d:n\x00-0",
	"_m\x003.1.99999999999999\x00_z\x00999999999999999999999\x00d:n\x0099999999999999999999",
	"_m\x003.1.99999999999999\x00_u\x00ada\x00_l\x00\xff\xfe\x00f:1\x00not json",
	"d:a\x001",
}

// FuzzParseRecord holds the stored-record decoder to: never panic, and
// accept only records of this version that are not past their deadline,
// keeping no metadata among the values.
func FuzzParseRecord(f *testing.F) {
	for _, s := range recordSeeds {
		f.Add(s)
	}
	now := time.UnixMilli(1_800_000_000_000)
	f.Fuzz(func(t *testing.T, data string) {
		h := splitFields(data)
		meta := h[fieldMeta]
		rec, err := parseRecord(h, now, "load")
		if err != nil {
			if !errors.Is(err, ErrIncompatibleRecord) {
				t.Fatalf("error %v, want ErrIncompatibleRecord", err)
			}
			return
		}
		if rec == nil {
			return
		}
		if !strings.HasPrefix(meta, recordVersion+".") || !rec.deadline.After(now) {
			t.Fatalf("accepted a record with _m %q", meta)
		}
		for f := range rec.values {
			if strings.HasPrefix(f, "_") {
				t.Fatalf("metadata field %q among the values", f)
			}
		}
	})
}

// FuzzStoredRecord puts a tampered record in the store, under a live
// cookie, and runs a request's operations on it: the scripts must refuse
// what they cannot read (ErrIncompatibleRecord, or a value error), never
// fail as a script error (which would read as the store being down) and
// never panic. It needs the rig's server; its seeds run in CI.
func FuzzStoredRecord(f *testing.F) {
	for _, s := range recordSeeds {
		f.Add(s, int64(1))
	}
	f.Fuzz(func(t *testing.T, data string, delta int64) {
		st := internalStore(t)
		ctx := context.Background()
		r := httptest.NewRequest(http.MethodGet, "/", nil)
		w := httptest.NewRecorder()
		id := newCredential()
		key := storeKey(st.opts.KeyPrefix, id)
		h := splitFields(data)
		if len(h) == 0 {
			return
		}
		if _, ok := h[fieldVerifier]; !ok {
			h[fieldVerifier] = id.verifier() // the record is the cookie's, tampered with
		}
		args := make([]any, 0, 2*len(h))
		for k, v := range h {
			args = append(args, k, v)
		}
		if err := st.client.HSet(ctx, key, args...).Err(); err != nil {
			t.Skip("the server refused the hash")
		}
		defer st.client.Del(ctx, key)
		st.client.PExpire(ctx, key, time.Minute)
		r.AddCookie(&http.Cookie{Name: DefaultCookieName, Value: st.tr.(*cookieTransport).seal(id, time.Now(), persistDefault)})
		c := HTTPCarrier(w, r)
		acceptable := func(op string, err error) {
			if err != nil && errors.Is(err, ErrUnavailable) {
				t.Fatalf("%s on a tampered record: %v (a script error, not a refusal)", op, err)
			}
		}
		s := st.Load(ctx, c)
		_, _, err := Get[string](s, "a")
		acceptable("Get", err)
		_, err = s.Incr("n", delta)
		acceptable("Incr", err)
		s.Set("a", "x")
		acceptable("Save", st.Save(ctx, c, s))
		s = st.Load(ctx, c)
		acceptable("Renew", s.Renew())
		acceptable("Save after Renew", st.Save(ctx, c, s))
	})
}
