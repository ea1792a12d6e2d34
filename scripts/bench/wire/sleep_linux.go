package wire

import (
	"runtime"
	"syscall"
	"time"
)

// preciseThread gives the delayer's goroutine a thread of its own whose
// timer slack is 1 ns instead of Linux's default 50 µs, so that a hold of
// 250 µs ends about 30 µs late rather than 90. The goroutine never
// unlocks it: the thread ends with the goroutine.
//
// The delayer sleeps with nanosleep(2), not time.Sleep: the Go runtime
// waits for its timers in epoll_pwait with a timeout in milliseconds when
// it has nothing else to run, so time.Sleep(250µs) on an idle process
// takes about 1.1 ms (go1.26 on Linux, measured).
func preciseThread() {
	runtime.LockOSThread()
	const prSetTimerslack = 29 // PR_SET_TIMERSLACK, <linux/prctl.h>
	// Without it the default slack stays: holds end later, still in order.
	_, _, _ = syscall.RawSyscall(syscall.SYS_PRCTL, prSetTimerslack, 1, 0)
}

// preciseSleep sleeps d in nanosleep(2) on the calling thread; it returns
// early when a signal interrupts it (the caller sleeps the rest).
func preciseSleep(d time.Duration) {
	ts := syscall.NsecToTimespec(int64(d))
	_ = syscall.Nanosleep(&ts, nil) // EINTR: see above
}
