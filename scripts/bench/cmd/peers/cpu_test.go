package main

import (
	"os"
	"testing"
	"time"
)

// TestProcessCPUGrowsWithWork: spinning makes processCPU grow. The spin
// goes on until the counter shows 20ms more, however busy the machine (a
// loaded machine gives the spin less CPU per wall-clock second), and fails
// only when 10 s of spinning never show.
func TestProcessCPUGrowsWithWork(t *testing.T) {
	t.Parallel()
	if _, err := os.Stat("/proc/self/task"); err != nil {
		t.Skip("no /proc")
	}
	before, err := processCPU(os.Getpid())
	if err != nil {
		t.Fatal(err)
	}
	x := 0
	for start := time.Now(); ; {
		for spin := time.Now(); time.Since(spin) < 10*time.Millisecond; {
			x++
		}
		after, err := processCPU(os.Getpid())
		if err != nil {
			t.Fatal(err)
		}
		if after-before >= 20*time.Millisecond {
			return
		}
		if time.Since(start) > 10*time.Second {
			t.Fatalf("%v of spinning counted as %v of CPU (x=%d)", time.Since(start), after-before, x)
		}
	}
}
