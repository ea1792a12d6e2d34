package floor

import (
	"net/http/httptest"
	"testing"

	"github.com/gosessions/sessions/scripts/bench/internal/contract"
)

func TestContract(t *testing.T) {
	cfg := contract.Config(t)
	rdb, err := cfg.Client()
	if err != nil {
		t.Fatal(err)
	}
	defer rdb.Close()
	srv := httptest.NewServer(NewHandler(rdb))
	defer srv.Close()
	contract.Check(t, srv.URL)
}
