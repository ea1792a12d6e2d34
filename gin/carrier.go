package sessionsgin

import (
	"net/http"

	"github.com/gin-gonic/gin"

	sessions "github.com/gosessions/sessions/core"
)

// carrier is the sessions.Carrier of a gin request: a zero-cost view of
// *gin.Context that reads the request and writes the response's headers
// in place, without copying them.
type carrier gin.Context

var (
	_ sessions.Carrier        = (*carrier)(nil)
	_ sessions.HeaderSetter   = (*carrier)(nil)
	_ sessions.OriginReporter = (*carrier)(nil)
)

func (k *carrier) Header(name string) string { return k.Request.Header.Get(name) }

func (k *carrier) Cookies(name string) []string {
	var vals []string
	for _, ck := range k.Request.CookiesNamed(name) {
		vals = append(vals, ck.Value)
	}
	return vals
}

func (k *carrier) AddHeader(name, value string) { k.Writer.Header().Add(name, value) }

func (k *carrier) SetHeader(name, value string) { k.Writer.Header().Set(name, value) }

func (k *carrier) SetCookie(ck *http.Cookie) { http.SetCookie(k.Writer, ck) }

func (k *carrier) Origin() (scheme, host string) { return sessions.RequestOrigin(k.Request) }
