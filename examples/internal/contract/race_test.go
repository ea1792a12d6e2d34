//go:build race

package contract_test

func init() { buildFlags = append(buildFlags, "-race") }
