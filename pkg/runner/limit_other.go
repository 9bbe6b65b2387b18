//go:build !unix

package runner

// FileLimit returns false: this system has no open-file limit to read.
func FileLimit() (uint64, bool) { return 0, false }
