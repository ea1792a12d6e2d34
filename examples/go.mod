module github.com/gosessions/sessions/examples

go 1.26.0

require github.com/gosessions/sessions/core v0.0.0

replace github.com/gosessions/sessions/core => ../core
