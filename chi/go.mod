module github.com/gosessions/sessions/chi

go 1.26.0
