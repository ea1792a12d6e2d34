package demo

import (
	"strings"
	"unicode/utf8"
)

// browsers and systems map a User-Agent substring to a name, first match
// wins: Edge and Opera say "Chrome" too, Chrome says "Safari", and iOS
// says "like Mac OS X".
var (
	browsers = [][2]string{
		{"Edg/", "Edge"}, {"OPR/", "Opera"}, {"HeadlessChrome/", "Headless Chrome"},
		{"Chrome/", "Chrome"}, {"CriOS/", "Chrome"}, {"Firefox/", "Firefox"}, {"FxiOS/", "Firefox"},
		{"Safari/", "Safari"}, {"curl/", "curl"}, {"Go-http-client/", "Go"},
	}
	systems = [][2]string{
		{"Android", "Android"}, {"iPhone", "iOS"}, {"iPad", "iPadOS"}, {"CrOS", "ChromeOS"},
		{"Windows", "Windows"}, {"Mac OS X", "macOS"}, {"Linux", "Linux"},
	}
)

// maxDeviceLen bounds the name of a client DeviceName does not know.
const maxDeviceLen = 40

// DeviceName names the browser and system of a session from the
// User-Agent it logged in with, for a person to recognise it in a list:
// "Firefox on Linux", "Safari on iOS". A client it does not know is shown
// by its User-Agent, cut to 40 characters; none at all is "Unknown device".
func DeviceName(userAgent string) string {
	browser, system := match(userAgent, browsers), match(userAgent, systems)
	switch {
	case browser != "" && system != "":
		return browser + " on " + system
	case browser != "":
		return browser
	case system != "":
		return "A browser on " + system
	case strings.TrimSpace(userAgent) == "":
		return "Unknown device"
	}
	ua := strings.TrimSpace(userAgent)
	if utf8.RuneCountInString(ua) <= maxDeviceLen {
		return ua
	}
	return string([]rune(ua)[:maxDeviceLen-1]) + "…"
}

// match returns the name of the first entry of table whose substring ua
// holds, or "".
func match(ua string, table [][2]string) string {
	for _, e := range table {
		if strings.Contains(ua, e[0]) {
			return e[1]
		}
	}
	return ""
}
