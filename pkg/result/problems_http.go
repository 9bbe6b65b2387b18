package result

// HTTP-level codes of certgate preflight (SPEC "certgate preflight"):
// status error, after any certificate code in precedence.
const (
	// CodeHTTPRetrieval results when the sender refuses the address (private
	// or local) or gets no usable response.
	CodeHTTPRetrieval Code = 11200
	// CodeHTTPTotalTimeout results when the profile's total budget ran out.
	CodeHTTPTotalTimeout Code = 11203
	// CodeHTTPProtocol results from plain HTTP on an HTTPS port or a
	// malformed response.
	CodeHTTPProtocol Code = 11206
	// CodeHTTPTooManyRedirects results from more redirects than the profile
	// follows, or a loop.
	CodeHTTPTooManyRedirects Code = 11215
	// CodeHTTPInvalidRedirect results from a redirect code the profile does
	// not follow, no Location, a redirect to http://, or a hop that fails.
	CodeHTTPInvalidRedirect Code = 11216
	// CodeHTTPErrorStatus results from a 4xx or 5xx status.
	CodeHTTPErrorStatus Code = 11217
)

// httpMessage is the stable message of an HTTP-level code.
func httpMessage(c Code) (string, bool) {
	switch c {
	case CodeHTTPRetrieval:
		return "HTTP retrieval failure", true
	case CodeHTTPTotalTimeout:
		return "HTTP communication total time out triggered", true
	case CodeHTTPProtocol:
		return "HTTP protocol violation", true
	case CodeHTTPTooManyRedirects:
		return "HTTP too many redirects", true
	case CodeHTTPInvalidRedirect:
		return "HTTP invalid redirect", true
	case CodeHTTPErrorStatus:
		return "HTTP error response code", true
	}
	return "", false
}

// Problem ids of the HTTP leg of certgate preflight.
const (
	// ProblemPlainHTTP: the port answered the TLS handshake in plain HTTP
	// (error, 11206). It names the cause of the handshake failure, which
	// it replaces as the primary problem.
	ProblemPlainHTTP = "plain-http"
	// ProblemOverrideInvalid: a connection override in the URL fragment is
	// unknown or out of its documented range (error, 11100).
	ProblemOverrideInvalid = "connection-override-invalid"
	// ProblemPrivateAddress: the address is private, loopback, link-local,
	// CGNAT or unique-local, which the profile's sender refuses (error,
	// 11200; a warning with --allow-private).
	ProblemPrivateAddress = "private-address"
	// ProblemNonPublicName: the host name is under a non-public suffix or
	// found only in the hosts file, so the sender cannot resolve it (warn).
	ProblemNonPublicName = "non-public-host-name"
	// ProblemHTTPConnect: the HTTP leg's own connection or request failed
	// after the check's handshake passed (error, 11205).
	ProblemHTTPConnect = "http-connection-failure"
	// ProblemHTTPReadTimeout: no response within the profile's read
	// timeout (error, 11205).
	ProblemHTTPReadTimeout = "http-read-timeout"
	// ProblemHTTPTotalTimeout: the profile's total budget ran out (error,
	// 11203).
	ProblemHTTPTotalTimeout = "http-total-timeout"
	// ProblemHTTPMalformed: the response is not valid HTTP (error, 11206).
	ProblemHTTPMalformed = "http-malformed-response"
	// ProblemHTTPStatus: a 4xx or 5xx status (error, 11217).
	ProblemHTTPStatus = "http-error-status"
	// ProblemHTTPAuthChallenge: 401 with WWW-Authenticate to a URL with
	// credentials: the sender retries with them (warn).
	ProblemHTTPAuthChallenge = "http-auth-challenge"
	// ProblemRedirectTooMany: more redirects than the profile follows
	// (error, 11215).
	ProblemRedirectTooMany = "redirect-too-many"
	// ProblemRedirectLoop: a redirect back to a URL already visited
	// (error, 11215).
	ProblemRedirectLoop = "redirect-loop"
	// ProblemRedirectToHTTP: a redirect to http:// (error, 11216).
	ProblemRedirectToHTTP = "redirect-to-http"
	// ProblemRedirectNoLocation: a redirect status without a usable
	// Location (error, 11216).
	ProblemRedirectNoLocation = "redirect-no-location"
	// ProblemRedirectNotFollowed: a redirect status the profile does not
	// follow (error, 11216).
	ProblemRedirectNotFollowed = "redirect-not-followed"
	// ProblemRedirectTarget: a redirect hop whose handshake or certificate
	// fails (error, 11216); the message names the hop's own code.
	ProblemRedirectTarget = "redirect-target-invalid"
	// ProblemSNIRequired: the sender may connect without SNI, and without
	// it the server's certificate does not pass (warn).
	ProblemSNIRequired = "sni-required"
	// ProblemHTTPSkipped: the HTTP leg was not made, because the
	// certificate fails or only a recorded client negotiates (info).
	ProblemHTTPSkipped = "http-leg-skipped"
)

// ProblemHTTPNoResponse: the connection was closed or reset before a
// response came (error, 11200: no usable response).
const ProblemHTTPNoResponse = "http-no-response"

// ProblemHTTPSlow: the response came, but after more than half of the
// profile's read or total budget: under load it may time out (warn).
const ProblemHTTPSlow = "http-slow"
