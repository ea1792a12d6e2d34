package redictstat

import "testing"

const info = "# Commandstats\r\n" +
	"cmdstat_get:calls=10,usec=8,usec_per_call=0.80,rejected_calls=0,failed_calls=0\r\n" +
	"cmdstat_evalsha:calls=4,usec=120,usec_per_call=30.00,rejected_calls=0,failed_calls=0\r\n" +
	"cmdstat_info:calls=7,usec=700,usec_per_call=100.00,rejected_calls=0,failed_calls=0\r\n" +
	"cmdstat_client|setinfo:calls=2,usec=2,usec_per_call=1.00,rejected_calls=0,failed_calls=0\r\n" +
	"\r\n# CPU\r\nused_cpu_sys:1.500000\r\nused_cpu_user:2.250000\r\nused_cpu_sys_children:0.000000\r\n"

func TestParseAndSub(t *testing.T) {
	t.Parallel()
	a, err := Parse(info)
	if err != nil {
		t.Fatal(err)
	}
	if a.CPU != 3.75 {
		t.Errorf("CPU %v, want 3.75", a.CPU)
	}
	if c := a.Commands["client|setinfo"]; c.Calls != 2 {
		t.Errorf("client|setinfo: %+v", c)
	}
	b := Snapshot{Commands: map[string]Command{
		"get": {Calls: 16, Usec: 14}, "evalsha": {Calls: 4, Usec: 120}, "info": {Calls: 9, Usec: 900}, "set": {Calls: 3, Usec: 3},
	}, CPU: 4.0}
	d := b.Sub(a)
	if d.Calls() != 9 {
		t.Errorf("calls %d, want 9 (get 6, set 3; evalsha unchanged, info left out): %+v", d.Calls(), d.Commands)
	}
	if names := d.Names(); len(names) != 2 || names[0] != "get" || names[1] != "set" {
		t.Errorf("names %v", names)
	}
	if d.CPU != 0.25 {
		t.Errorf("CPU delta %v", d.CPU)
	}
}

func TestParseWithoutCPUFails(t *testing.T) {
	t.Parallel()
	if _, err := Parse("cmdstat_get:calls=1,usec=1\r\n"); err == nil {
		t.Error("no error without the cpu section")
	}
}

func TestTrimID(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]string{"scs:session:ab": "scs:session:", "session_X": "session_", "abc": "", "s:{x": "s:{"} {
		if got := trimID(in); got != want {
			t.Errorf("trimID(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestTrimSuffixAndShape(t *testing.T) {
	t.Parallel()
	if got := trimSuffix("x}:t"); got != "}:t" {
		t.Errorf("trimSuffix: %q", got)
	}
	if got := trimSuffix("abc"); got != "" {
		t.Errorf("trimSuffix without a separator: %q", got)
	}
	for key, want := range map[string]string{
		"session:{AbCdEfGhIjKlMnOpQrSt}":   "session:{*}",
		"session:{AbCdEfGhIjKlMnOpQrSt}:t": "session:{*}:t",
		"u:short":                          "u:short",
	} {
		if got := idRun.ReplaceAllString(key, "*"); got != want {
			t.Errorf("shape of %q: %q, want %q", key, got, want)
		}
	}
	if got := commonSuffix("a:{xy}", "b:{zy}"); got != "y}" {
		t.Errorf("commonSuffix: %q", got)
	}
}

func TestPattern(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		keys []string
		want string
	}{
		{[]string{"session_ABCDEFGHIJKLMNOPQRSTUV", "session_ZBCDEFGHIJKLMNOPQRSTUV"}, "session_*"},
		{[]string{"scs:session:ABCDEFGHIJKLMNOPQRSTUV", "scs:session:BBCDEFGHIJKLMNOPQRSTUV"}, "scs:session:*"},
		{[]string{"session:{ABCDEFGHIJKLMNOPQRSTUV}:ABCDEFGHIJKLMNOPQRSTUV", "session:{BBCDEFGHIJKLMNOPQRSTUV}:BBCDEFGHIJKLMNOPQRSTUX"}, "session:{*}:*"},
		{[]string{"0b5e1f9c-8a2d-4c1e-9f3a-7d6e5c4b3a21", "1c5e1f9c-8a2d-4c1e-9f3a-7d6e5c4b3a22"}, "*"},
	} {
		shape := idRun.ReplaceAllString(c.keys[0], "*")
		if got := pattern(shape, commonPrefix(c.keys[0], c.keys[1]), commonSuffix(c.keys[0], c.keys[1])); got != c.want {
			t.Errorf("%v: %q, want %q", c.keys, got, c.want)
		}
	}
}
