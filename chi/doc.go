// Package sessionschi adapts chi to github.com/gosessions/sessions/core:
// server-side sessions in Redict, with the id in a sealed cookie or a JWT.
//
// chi routes net/http handlers, so the adapter is the core's net/http
// middleware in chi's func(http.Handler) http.Handler shape; it adds no
// dependency beyond the core. Mount it on the routes that need sessions:
//
//	import (
//		"github.com/go-chi/chi/v5"
//		"github.com/go-chi/chi/v5/middleware"
//		sessions "github.com/gosessions/sessions/core"
//		"github.com/gosessions/sessions/chi"
//	)
//
//	r := chi.NewRouter()
//	r.Use(middleware.Recoverer)                // before the sessions: see below
//	r.Handle("/static/*", http.FileServer(fs)) // no cookie read, no store command
//	r.Route("/app", func(r chi.Router) {
//		r.Use(sessionschi.Middleware(store, sessionschi.Options{}))
//		r.Get("/count", func(w http.ResponseWriter, r *http.Request) {
//			n, err := sessionschi.FromContext(r.Context()).Incr("count", 1)
//			if err != nil {
//				http.Error(w, "session store unavailable", http.StatusServiceUnavailable)
//				return
//			}
//			fmt.Fprintf(w, "count: %d\n", n)
//		})
//	})
//
// Values are typed (sessions.Get[T](s, key)) and there is no Save call:
// the session is saved before the response's first byte, or when the
// handler returns if it wrote nothing. A handler's error response commits
// the session like any other response: an error does not undo the
// changes made before it.
//
// Register middleware.Recoverer before (outside) the session middleware:
// its 500 then goes to the server's own writer and commits nothing more
// of the request that panicked. What Incr, Update or a Store.Save had
// written stays, and when such a write created the session or carried
// its Renew, its new cookie goes out with the 500 (the old one is dead).
package sessionschi
