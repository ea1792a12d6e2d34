package main

import (
	"net/http/httptest"
	"testing"

	"github.com/gosessions/sessions/scripts/bench/internal/contract"
)

func TestContract(t *testing.T) {
	h, err := newHandler(contract.Config(t))
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(h)
	defer srv.Close()
	contract.Check(t, srv.URL)
}
