package main

import (
	"bytes"
	"crypto/sha1"
	"crypto/sha256"
	"crypto/x509"
	"encoding/hex"
	"errors"
	"fmt"
	"github.com/certgate/certgate/pkg/truststore"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"time"
)

// nssAttr is one attribute of a certdata.txt object.
type nssAttr struct {
	typ   string // CK_OBJECT_CLASS, UTF8, MULTILINE_OCTAL, CK_TRUST, CK_BBOOL...
	value string // decoded bytes for MULTILINE_OCTAL and UTF8, else the token
}

type nssObject struct {
	line  int
	attrs map[string]nssAttr
}

// parseCertdata reads NSS certdata.txt and returns the roots whose trust
// object marks them CKA_TRUST_SERVER_AUTH CKT_NSS_TRUSTED_DELEGATOR, with
// their CKA_NSS_SERVER_DISTRUST_AFTER date as a rule. Names are CKA_LABEL.
func parseCertdata(data []byte) ([]root, error) {
	objects, err := parseNSSObjects(data)
	if err != nil {
		return nil, err
	}
	type trust struct {
		serverAuth    string
		distrustAfter string
	}
	trustByKey := map[string]*trust{}
	var certs []*nssObject
	for _, o := range objects {
		switch o.attrs["CKA_CLASS"].value {
		case "CKO_CERTIFICATE":
			certs = append(certs, o)
		case "CKO_NSS_TRUST", "CKO_TRUST":
			t := &trust{serverAuth: o.attrs["CKA_TRUST_SERVER_AUTH"].value}
			if a, ok := o.attrs["CKA_NSS_SERVER_DISTRUST_AFTER"]; ok && a.typ == "MULTILINE_OCTAL" {
				t.distrustAfter = a.value
			}
			if is, sn := o.attrs["CKA_ISSUER"], o.attrs["CKA_SERIAL_NUMBER"]; is.value != "" && sn.value != "" {
				trustByKey["is:"+is.value+"\x00"+sn.value] = t
			}
			if h := o.attrs["CKA_CERT_SHA1_HASH"].value; h != "" {
				trustByKey["sha1:"+h] = t
			}
		}
	}
	var roots []root
	for _, c := range certs {
		der := []byte(c.attrs["CKA_VALUE"].value)
		if len(der) == 0 {
			return nil, fmt.Errorf("line %d: certificate object without CKA_VALUE", c.line)
		}
		cert, err := x509.ParseCertificate(der)
		if err != nil {
			return nil, fmt.Errorf("line %d: %s: %w", c.line, c.attrs["CKA_LABEL"].value, err)
		}
		h := sha1.Sum(der)
		t := trustByKey["is:"+c.attrs["CKA_ISSUER"].value+"\x00"+c.attrs["CKA_SERIAL_NUMBER"].value]
		if t == nil || c.attrs["CKA_ISSUER"].value == "" {
			t = trustByKey["sha1:"+string(h[:])]
		}
		if t == nil {
			continue
		}
		switch t.serverAuth {
		case "CKT_NSS_TRUSTED_DELEGATOR", "CKT_TRUSTED_DELEGATOR", "CKT_TRUST_ANCHOR":
		default:
			continue
		}
		name := c.attrs["CKA_LABEL"].value
		if name == "" {
			name = cert.Subject.CommonName
		}
		r := root{name: name, sha: sum(der), der: der}
		distrust := t.distrustAfter
		if a, ok := c.attrs["CKA_NSS_SERVER_DISTRUST_AFTER"]; ok && a.typ == "MULTILINE_OCTAL" {
			distrust = a.value
		}
		if distrust != "" {
			d, err := parseNSSTime(distrust)
			if err != nil {
				return nil, fmt.Errorf("line %d: %s: CKA_NSS_SERVER_DISTRUST_AFTER: %w", c.line, name, err)
			}
			r.rules = append(r.rules, manifestRule{Kind: "distrust-after", Name: "CKA_NSS_SERVER_DISTRUST_AFTER", Date: d.Format(time.RFC3339)})
		}
		roots = append(roots, r)
	}
	if len(roots) == 0 {
		return nil, errors.New("no server-auth trusted roots (CKA_TRUST_SERVER_AUTH CKT_NSS_TRUSTED_DELEGATOR); is this certdata.txt?")
	}
	return roots, nil
}

// parseNSSTime reads the ASCII UTCTime (YYMMDDHHMMSSZ) NSS stores in
// CKA_NSS_SERVER_DISTRUST_AFTER; a GeneralizedTime is accepted too.
func parseNSSTime(s string) (time.Time, error) {
	for _, layout := range []string{"060102150405Z0700", "20060102150405Z0700"} {
		if t, err := time.Parse(layout, s); err == nil {
			return t.UTC(), nil
		}
	}
	return time.Time{}, fmt.Errorf("%q is not a UTCTime", s)
}

// parseNSSObjects splits certdata.txt into objects; each starts at CKA_CLASS.
func parseNSSObjects(data []byte) ([]*nssObject, error) {
	lines := strings.Split(strings.ReplaceAll(string(data), "\r\n", "\n"), "\n")
	var objects []*nssObject
	var cur *nssObject
	for i := 0; i < len(lines); i++ {
		line := strings.TrimSpace(lines[i])
		if line == "" || strings.HasPrefix(line, "#") || line == "BEGINDATA" || strings.HasPrefix(line, "CVS_ID") {
			continue
		}
		f := strings.SplitN(line, " ", 3)
		if len(f) < 2 {
			return nil, fmt.Errorf("line %d: want \"ATTRIBUTE TYPE [VALUE]\", got %q", i+1, line)
		}
		attr := nssAttr{typ: f[1]}
		switch f[1] {
		case "MULTILINE_OCTAL":
			var buf bytes.Buffer
			start := i + 1
			for i++; ; i++ {
				if i >= len(lines) {
					return nil, fmt.Errorf("line %d: MULTILINE_OCTAL without END", start-1)
				}
				l := strings.TrimSpace(lines[i])
				if l == "END" {
					break
				}
				b, err := unescapeOctal(l)
				if err != nil {
					return nil, fmt.Errorf("line %d: %w", i+1, err)
				}
				buf.Write(b)
			}
			attr.value = buf.String()
		case "UTF8":
			if len(f) < 3 {
				return nil, fmt.Errorf("line %d: UTF8 attribute without value", i+1)
			}
			b, err := unescapeOctal(strings.Trim(f[2], `"`))
			if err != nil {
				return nil, fmt.Errorf("line %d: %w", i+1, err)
			}
			attr.value = string(b)
		default:
			if len(f) == 3 {
				attr.value = f[2]
			}
		}
		if f[0] == "CKA_CLASS" {
			cur = &nssObject{line: i + 1, attrs: map[string]nssAttr{}}
			objects = append(objects, cur)
		}
		if cur == nil {
			return nil, fmt.Errorf("line %d: attribute %s before the first CKA_CLASS", i+1, f[0])
		}
		cur.attrs[f[0]] = attr
	}
	return objects, nil
}

// unescapeOctal decodes text with \ooo escapes (certdata.txt's encoding).
func unescapeOctal(s string) ([]byte, error) {
	var out []byte
	for i := 0; i < len(s); i++ {
		if s[i] != '\\' {
			out = append(out, s[i])
			continue
		}
		if i+4 > len(s) {
			return nil, fmt.Errorf("truncated escape in %q", s)
		}
		v, err := strconv.ParseUint(s[i+1:i+4], 8, 8)
		if err != nil {
			return nil, fmt.Errorf("bad octal escape %q", s[i:i+4])
		}
		out = append(out, byte(v))
		i += 3
	}
	return out, nil
}

// parseJDKCacerts reads an OpenJDK src/java.base/share/data/cacerts
// directory: one file per alias (the file name), each holding one PEM
// certificate, possibly after keytool-style text. It returns the roots and a
// digest over the sorted "alias sha256" lines.
func parseJDKCacerts(dir string) ([]root, string, error) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, "", fmt.Errorf("%w; give the OpenJDK cacerts source directory with -jdk-cacerts DIR", err)
	}
	var roots []root
	for _, e := range entries {
		if !e.Type().IsRegular() || strings.HasPrefix(e.Name(), ".") {
			continue
		}
		path := filepath.Join(dir, e.Name())
		data, err := os.ReadFile(path)
		if err != nil {
			return nil, "", err
		}
		certs, err := truststore.ParseCertificates(data)
		if err != nil {
			return nil, "", fmt.Errorf("%s: %w", path, err)
		}
		if len(certs) != 1 {
			return nil, "", fmt.Errorf("%s: %d certificates, want exactly 1 per alias file", path, len(certs))
		}
		der := certs[0].Raw
		roots = append(roots, root{name: e.Name(), sha: sum(der), der: der})
	}
	if len(roots) == 0 {
		return nil, "", fmt.Errorf("%s: no alias files; give the OpenJDK cacerts source directory with -jdk-cacerts DIR", dir)
	}
	sort.Slice(roots, func(i, j int) bool { return roots[i].name < roots[j].name })
	h := sha256.New()
	for _, r := range roots {
		fmt.Fprintf(h, "%s %s\n", r.name, r.sha)
	}
	return roots, hex.EncodeToString(h.Sum(nil)), nil
}
