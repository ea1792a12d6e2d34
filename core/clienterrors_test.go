package sessions_test

import (
	"strings"
	"testing"

	sessions "github.com/gosessions/sessions/core"
)

func TestNewClientLeaks(t *testing.T) {
	const pw = "S3cr3tPw"
	for _, u := range []string{
		"redis://app:" + pw + "@127.0.0.1:6379/x",
		"redis://app:" + pw + "@127.0.0.1:6379/0?pool_size=" + pw,
		"redis://app:1234/" + pw + "@127.0.0.1:6379/0",
		"redis://app:1234/" + pw + "/x@127.0.0.1:6379/0",
		"redis://app:12%34" + pw + "@127.0.0.1:6379/x",
		"redis://app:" + pw + "%zz@127.0.0.1:6379/0",
		"redis://app:" + pw + "@127.0.0.1:6379/0?foo=bar",
		"redis+cluster://app:" + pw + "@127.0.0.1:6379,127.0.0.1:6380/?pool_size=x",
		"redis+sentinel://app:" + pw + "@127.0.0.1:26379/m/x",
		"redis+sentinel://app:" + pw + "@127.0.0.1:26379/m?sentinel_password=" + pw + "&pool_size=x",
		"redis://app:" + strings.ToLower(pw) + "%2F@127.0.0.1:6379/x",
		"redis://:" + pw + "@127.0.0.1:6379/0?protocol=" + pw,
		"redis://" + pw + "@127.0.0.1:6379/x",
		"redis://app:" + pw + "@[::1:6379/0",
		"redis://app:" + pw + "@127.0.0.1:6379/0/1",
	} {
		_, err := sessions.NewClient(u)
		if err != nil && (strings.Contains(err.Error(), pw) || strings.Contains(strings.ToLower(err.Error()), strings.ToLower(pw))) {
			t.Errorf("%s\n   -> %v", u, err)
		} else {
			t.Logf("%v", err)
		}
	}
}
