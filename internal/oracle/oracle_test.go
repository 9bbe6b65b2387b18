package oracle

import (
	"testing"

	"github.com/certgate/certgate/pkg/result"
)

// TestJavaVerdict checks how the Java program's line maps to a code: the
// JDK gives a name mismatch and most path failures the same exception
// class, so only its message tells them apart.
func TestJavaVerdict(t *testing.T) {
	for _, tc := range []struct {
		line    string
		trusted bool
		code    result.Code
	}{
		{"ok", true, result.CodeNone},
		{"fail cert | javax.net.ssl.SSLHandshakeException: No subject alternative DNS name matching a.test found. | java.security.cert.CertificateException: No subject alternative DNS name matching a.test found.", false, result.CodeDomainMismatch},
		{"fail cert | javax.net.ssl.SSLHandshakeException: No name matching a.test found | java.security.cert.CertificateException: No name matching a.test found", false, result.CodeDomainMismatch},
		{"fail cert | javax.net.ssl.SSLHandshakeException: PKIX path validation failed: java.security.cert.CertPathValidatorException: validity check failed | java.security.cert.CertificateExpiredException: NotAfter: Sat Nov 28 00:00:00 UTC 2026", false, result.CodeExpired},
		{"fail cert | javax.net.ssl.SSLHandshakeException: PKIX path building failed: sun.security.provider.certpath.SunCertPathBuilderException: unable to find valid certification path to requested target", false, result.CodeNoPath},
		{"fail handshake | java.net.SocketTimeoutException: Read timed out", false, result.CodeHandshake},
		{"fail handshake | javax.net.ssl.SSLHandshakeException: No appropriate protocol (protocol is disabled or cipher suites are inappropriate)", false, result.CodeHandshake},
	} {
		v := javaVerdict(tc.line)
		if v.Trusted != tc.trusted || v.Code != tc.code {
			t.Errorf("javaVerdict(%q) = %+v, want trusted %v code %d", tc.line, v, tc.trusted, tc.code)
		}
	}
}
