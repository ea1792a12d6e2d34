module github.com/gosessions/sessions/echov5

go 1.26.0

replace github.com/gosessions/sessions/core => ../core

require (
	github.com/alicebob/miniredis/v2 v2.40.0
	github.com/gosessions/sessions/core v0.0.0-00010101000000-000000000000
	github.com/labstack/echo/v5 v5.4.4
	github.com/redis/go-redis/v9 v9.23.0
)

require (
	github.com/cespare/xxhash/v2 v2.3.0 // indirect
	github.com/golang-jwt/jwt/v5 v5.3.1 // indirect
	github.com/yuin/gopher-lua v1.1.1 // indirect
	go.uber.org/atomic v1.12.0 // indirect
	golang.org/x/sys v0.48.0 // indirect
	golang.org/x/time v0.15.0 // indirect
)
