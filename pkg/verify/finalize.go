package verify

import "github.com/certgate/certgate/pkg/result"

// Finalize sets a result's Status, Code, Message and Detail from its
// problems: a connection-level error makes it error, else a certificate
// error makes it fail with the code of the first problem in SPEC precedence
// (11237, 11236, 11235), else a warning makes it warn, else it is ok.
// A problem about a certificate of the chain (Cert >= 0) never makes the
// result error, even with a connection code: a key that does not match the
// leaf (key-mismatch, 11220) fails the result with that code when nothing
// else fails it. A Web PKI warning is the detail only when no other warning
// is there. Renderers read these fields and never decide them.
func Finalize(r *result.Result) {
	r.Schema = result.Schema
	if r.Problems == nil {
		r.Problems = []result.Problem{}
	}
	if r.Chain == nil {
		r.Chain = []result.Cert{}
	}
	if r.Trust == nil {
		r.Trust = map[string]result.Verdict{}
	}
	var conn, cert, warn *result.Problem
	for i := range r.Problems {
		p := &r.Problems[i]
		switch {
		case p.Severity == result.SeverityError && p.Code != result.CodeNone && p.Code < result.CodeDomainMismatch && p.Cert < 0:
			if conn == nil {
				conn = p
			}
		case p.Severity == result.SeverityError:
			if cert == nil || p.Code.Precedence() < cert.Code.Precedence() {
				cert = p
			}
		case p.Severity == result.SeverityWarn:
			if warn == nil || IsWebPKIProblem(warn.ID) && !IsWebPKIProblem(p.ID) {
				warn = p
			}
		}
	}
	switch {
	case conn != nil:
		r.Status, r.Code, r.Detail = result.StatusError, conn.Code, conn.Message
	case cert != nil:
		r.Status, r.Code, r.Detail = result.StatusFail, cert.Code, cert.Message
		if r.Code == result.CodeNone {
			r.Code = result.CodeNoPath
		}
	case warn != nil:
		r.Status, r.Code, r.Detail = result.StatusWarn, result.CodeNone, warn.Message
	default:
		r.Status, r.Code, r.Detail = result.StatusOK, result.CodeNone, ""
	}
	r.Message = r.Code.Message()
}
