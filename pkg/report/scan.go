package report

import (
	"strings"

	"github.com/certgate/certgate/pkg/iostreams"
	"github.com/certgate/certgate/pkg/result"
)

// scanRegistry maps the formats whose scan rendering differs from the
// check rendering to their constructors; every other format renders scan
// results as New does (the scan object is part of the JSON result).
var scanRegistry = map[string]factory{
	"table":    newScanText,
	"markdown": newScanMarkdown,
}

// NewScan returns a Renderer for the results of certgate scan: for
// "table", one target as a sectioned report (certificate and trust,
// protocols, cipher suites, key exchange, features, client simulations,
// grade and its caps, problems), several as one row a target (grade,
// status, protocols, worst problem); for "markdown", a summary a CI job
// can post; any other format as New gives it. An unknown format gives an
// *UnknownFormatError.
func NewScan(format string, ios *iostreams.IOStreams, opts Options) (Renderer, error) {
	if f, ok := scanRegistry[format]; ok {
		return f(ios, opts), nil
	}
	return New(format, ios, opts)
}

// gradeOf is the grade of a scan result, "" when it has none.
func gradeOf(r *result.Result) string {
	if r.Scan == nil || r.Scan.Grade == nil {
		return ""
	}
	return r.Scan.Grade.Grade
}

// shortProtocols lists the protocols a scan found, newest first, in short
// form: "1.3 1.2 1.0 SSL3"; "" when none.
func shortProtocols(r *result.Result) string {
	if r.Scan == nil {
		return ""
	}
	var out []string
	for _, p := range r.Scan.Protocols {
		if !p.Supported {
			continue
		}
		v := Sanitize(p.Version)
		switch {
		case strings.HasPrefix(v, "TLS "):
			v = strings.TrimPrefix(v, "TLS ")
		case strings.HasPrefix(v, "SSL "):
			v = "SSL" + strings.TrimSuffix(strings.TrimPrefix(v, "SSL "), ".0")
		}
		out = append(out, v)
	}
	return strings.Join(out, " ")
}

// worstProblem is the first problem of r (problems are sorted worst
// first) as "id: message", else the detail or message; "" when none.
func worstProblem(r *result.Result) string {
	for _, p := range r.Problems {
		if p.Severity == result.SeverityInfo {
			break
		}
		return p.ID + ": " + p.Message
	}
	if r.Detail != "" {
		return r.Detail
	}
	return r.Message
}

// weakProtocol says how a supported protocol version weighs: "insecure"
// for SSL, "weak" for TLS 1.0 and 1.1, "" otherwise.
func weakProtocol(version string) string {
	switch version {
	case "SSL 2.0", "SSL 3.0":
		return "insecure"
	case "TLS 1.0", "TLS 1.1":
		return "weak"
	}
	return ""
}
