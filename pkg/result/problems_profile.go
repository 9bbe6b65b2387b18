package result

// Problem ids of certgate preflight's per-endpoint sender profiles.
const (
	// ProblemSenderStores: the trust stores of the endpoint's sender
	// profile do not accept the chain, although another store of the run
	// does (a certificate problem: its code is the certificate code the
	// profile's stores give).
	ProblemSenderStores = "sender-stores-untrusted"
)
