module github.com/gosessions/sessions/fiber

go 1.26.0
