//go:build !linux

package wire

import "time"

// preciseThread does nothing off Linux.
func preciseThread() {}

// preciseSleep is time.Sleep off Linux.
func preciseSleep(d time.Duration) { time.Sleep(d) }
