package bundle

import (
	"bytes"
	"crypto/x509"
	"encoding/asn1"
	"encoding/pem"
	"fmt"
	"strings"

	"github.com/certgate/certgate/pkg/result"
)

// Malformed is a certificate of a bundle that crypto/x509 refuses to parse
// (a negative serial, a duplicate extension, a bad subjectAltName, an
// unsupported curve…). A strict client refuses it too, so it is a finding
// about the bundle, not a reason to stop.
type Malformed struct {
	// Path is the file it was read from.
	Path string
	// Index is its position among the certificates of that file, from 1.
	Index int
	// Block is its PEM block number in the file, from 1; 0 for DER.
	Block int
	// Err is the parse error.
	Err error
}

// String names the certificate's place and the parse error.
func (m Malformed) String() string {
	where := fmt.Sprintf("certificate %d of %s", m.Index, m.Path)
	if m.Block > 0 {
		where += fmt.Sprintf(" (PEM block %d)", m.Block)
	}
	return fmt.Sprintf("%s does not parse (%v)", where, m.Err)
}

// MalformedProblem is the one malformed-certificate problem (error, 11237)
// naming every certificate of bad, its place and its parse error.
func MalformedProblem(bad []Malformed) result.Problem {
	parts := make([]string, len(bad))
	for i, m := range bad {
		parts[i] = m.String()
	}
	return result.Problem{ID: result.ProblemMalformedCertificate, Severity: result.SeverityError, Code: result.CodeNoPath, Cert: -1,
		Message: strings.Join(parts, "; ") + ", so strict clients refuse the chain: reissue the certificate, or export it again if the file was damaged"}
}

// LoadChainLenient is LoadChain that keeps going past certificates that do
// not parse: they are returned as Malformed, in file order, and the others
// are judged. Files that cannot be read or hold no certificate at all are
// still errors.
func LoadChainLenient(paths []string) ([]Cert, []Malformed, error) {
	var out []Cert
	var bad []Malformed
	for _, p := range paths {
		data, err := readFile(p, "a PEM or DER file of certificates")
		if err != nil {
			return nil, nil, err
		}
		certs, mal, err := ParseLenient(p, data)
		if err != nil {
			return nil, nil, err
		}
		for _, c := range certs {
			out = append(out, Cert{X509: c.X509, Path: p, Index: c.Index})
		}
		bad = append(bad, mal...)
	}
	return out, bad, nil
}

// ParseLenient returns the certificates of data (read from the file name)
// that parse, each with its index in the file, and those that do not. It
// fails like Parse when data holds no certificate at all, parsed or not.
func ParseLenient(name string, data []byte) ([]Cert, []Malformed, error) {
	var certs []Cert
	var bad []Malformed
	if !bytes.Contains(data, []byte("-----BEGIN ")) {
		rest := bytes.TrimSpace(data)
		for n := 1; len(rest) > 0; n++ {
			var raw asn1.RawValue
			next, err := asn1.Unmarshal(rest, &raw)
			if err != nil {
				if len(certs)+len(bad) == 0 {
					_, perr := Parse(name, data)
					return nil, nil, perr
				}
				bad = append(bad, Malformed{Path: name, Index: n, Err: fmt.Errorf("trailing data is not DER: %w", err)})
				break
			}
			c, err := x509.ParseCertificate(raw.FullBytes)
			if err != nil {
				bad = append(bad, Malformed{Path: name, Index: n, Err: err})
			} else {
				certs = append(certs, Cert{X509: c, Path: name, Index: n})
			}
			rest = next
		}
		if len(certs) == 0 && len(bad) > 0 && isKeyOnly(data) {
			_, perr := Parse(name, data)
			return nil, nil, perr
		}
		return certs, bad, nil
	}
	rest := data
	idx := 0
	for n := 1; ; n++ {
		var b *pem.Block
		b, rest = pem.Decode(rest)
		if b == nil {
			break
		}
		if b.Type != "CERTIFICATE" {
			continue
		}
		idx++
		c, err := x509.ParseCertificate(b.Bytes)
		if err != nil {
			bad = append(bad, Malformed{Path: name, Index: idx, Block: n, Err: err})
			continue
		}
		certs = append(certs, Cert{X509: c, Path: name, Index: idx})
	}
	if len(certs)+len(bad) == 0 {
		_, err := Parse(name, data) // the same error as a strict load
		return nil, nil, err
	}
	return certs, bad, nil
}
