package runner

// fdHeadroom is the file descriptors kept out of the concurrency for
// everything else certgate opens: the standard streams, the target list, the
// poller, DNS lookups, a profile, the trust store files.
const fdHeadroom = 24

// MaxConcurrency is the most targets that may be in flight under an
// open-file limit of nofile: one descriptor each, after fdHeadroom. It is at
// least 1.
func MaxConcurrency(nofile uint64) int {
	if nofile <= fdHeadroom+1 {
		return 1
	}
	n := nofile - fdHeadroom
	if n > 1<<30 {
		n = 1 << 30
	}
	return int(n)
}
