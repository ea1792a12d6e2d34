// Package demo holds what every example program shares and that is not
// framework code: the configuration the demo contract reads from the
// environment, the session store it builds from it, the demo page, the
// JSON bodies of the contract's endpoints, and Main, which listens, says
// where to open the page and shuts down gracefully on SIGINT or SIGTERM.
//
// Each program (examples/nethttp, and one per framework) keeps its routes
// and handlers in its own main package, written the way that framework's
// users write them, and hands Main a function that builds its server:
//
//	func main() {
//		demo.Main("nethttp", func(app demo.App) (demo.Server, error) {
//			return &http.Server{Handler: routes(app)}, nil
//		})
//	}
//
// The black-box test every program passes, which walks the contract's
// endpoints, is in examples/internal/contract.
package demo
