//go:build unix

package runner

import "syscall"

// FileLimit returns the soft limit on open files of this process, and
// false when there is none or it cannot be read.
func FileLimit() (uint64, bool) {
	var rl syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &rl); err != nil {
		return 0, false
	}
	cur := uint64(rl.Cur)
	if cur == ^uint64(0) { // RLIM_INFINITY
		return 0, false
	}
	return cur, true
}
