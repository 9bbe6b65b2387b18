package result

// Problem ids of certgate scan's own findings (the weaknesses the grade
// reads are listed with the grade).
const (
	// ProblemScanUnoffered: during the scan the server selected a protocol
	// version, cipher suite, group or other parameter the client did not
	// offer; a real client aborts such a handshake.
	ProblemScanUnoffered = "scan-server-selected-unoffered"
	// ProblemScanIncomplete: some of the scan's connections failed for
	// another reason than the server refusing what was offered (timeouts,
	// resets, dial errors), so parts of the report may be missing.
	ProblemScanIncomplete = "scan-incomplete"
)
