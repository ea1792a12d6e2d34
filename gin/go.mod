module github.com/gosessions/sessions/gin

go 1.26.0
