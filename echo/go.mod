module github.com/gosessions/sessions/echo

go 1.26.0
