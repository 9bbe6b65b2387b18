package result

// Problem ids of a STARTTLS upgrade that did not reach the TLS handshake
// (error, 11220): the server does not offer the upgrade, refuses it, or
// breaks the protocol's dialogue. The message names the server's reply and
// the fix.
const (
	// ProblemStartTLSNotOffered: the server speaks the protocol but does
	// not offer STARTTLS (no STARTTLS in SMTP's EHLO reply, PostgreSQL's
	// 'N', MySQL without CLIENT_SSL).
	ProblemStartTLSNotOffered = "starttls-not-offered"
	// ProblemStartTLSRefused: the server offers STARTTLS but refused to
	// start it (SMTP 454, IMAP NO, XMPP <failure/>), or turned the session
	// away before the upgrade.
	ProblemStartTLSRefused = "starttls-refused"
	// ProblemStartTLSProtocol: the server's answer broke the protocol:
	// garbage, a reply out of place, more bytes than the dialogue allows,
	// or silence until the timeout.
	ProblemStartTLSProtocol = "starttls-protocol"
)
