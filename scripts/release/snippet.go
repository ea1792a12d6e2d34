package main

import (
	"fmt"
	"strings"
)

// quickstartMarker is the HTML comment that marks a framework's quick-start
// program in the README: the line right after it opens a ```go fence.
const quickstartMarker = "<!-- quickstart: %s -->"

// quickstart returns the program that the README marks as the quick start
// of name: the body of the ```go fence on the line after the marker.
func quickstart(readme, name string) (string, error) {
	marker := fmt.Sprintf(quickstartMarker, name)
	lines := strings.Split(strings.ReplaceAll(readme, "\r\n", "\n"), "\n")
	found := -1
	for i, l := range lines {
		if strings.TrimSpace(l) == marker {
			if found >= 0 {
				return "", fmt.Errorf("README: %s appears twice (lines %d and %d)", marker, found+1, i+1)
			}
			found = i
		}
	}
	if found < 0 {
		return "", fmt.Errorf("README: no %s", marker)
	}
	if found+1 >= len(lines) || strings.TrimSpace(lines[found+1]) != "```go" {
		return "", fmt.Errorf("README line %d: %s is not followed by a ```go fence", found+1, marker)
	}
	var b strings.Builder
	for _, l := range lines[found+2:] {
		if strings.TrimSpace(l) == "```" {
			return b.String(), nil
		}
		b.WriteString(l)
		b.WriteByte('\n')
	}
	return "", fmt.Errorf("README line %d: the ```go fence after %s is never closed", found+2, marker)
}

// quickstartNames lists the names of the README's quick-start markers, in
// their order.
func quickstartNames(readme string) []string {
	prefix, suffix, _ := strings.Cut(quickstartMarker, "%s")
	var names []string
	for _, l := range strings.Split(readme, "\n") {
		l = strings.TrimSpace(l)
		if name, ok := strings.CutPrefix(l, prefix); ok {
			if name, ok := strings.CutSuffix(name, suffix); ok {
				names = append(names, name)
			}
		}
	}
	return names
}
