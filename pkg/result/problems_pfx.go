package result

// Problem ids of certgate preflight's HTTP leg, beyond those of
// problems_http.go.
const (
	// ProblemHTTPPostOnly: the default request was refused (HEAD and GET
	// both answered 405 or 501) by an endpoint that otherwise answered
	// HTTP properly over a verified connection, as a POST-only webhook
	// handler does; the sender's POST was not tried (warn, no code).
	ProblemHTTPPostOnly = "http-post-only"
	// ProblemAddressUnchecked: the request went through a proxy, which
	// resolves the host name of the endpoint or of a redirect hop, so its
	// addresses were not checked against the profile's refusal of private
	// addresses (info).
	ProblemAddressUnchecked = "private-address-unchecked"
)
