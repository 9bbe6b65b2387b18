// Package target parses the endpoints that certgate checks: https:// URLs,
// host names, host:port pairs and IP addresses, one at a time (Parse) or as a
// streamed list file (ReadList).
//
// The package is pure: it never resolves names or opens connections.
package target

import (
	"maps"
	"net"
	"net/netip"
	"slices"
	"sort"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"golang.org/x/net/idna"
)

// DefaultPort is the port used when a target names neither a port nor a
// scheme with its own implicit-TLS port.
const DefaultPort = 443

// MaxTargetBytes is the longest input, in bytes, that Parse accepts.
const MaxTargetBytes = 2048

// Limits on host names, from RFC 1035 as applied to presentation format.
const (
	maxLabelLen = 63
	maxHostLen  = 253
)

// schemePorts maps each accepted scheme to its implicit-TLS port.
var schemePorts = map[string]int{
	"https": 443,
	"wss":   443,
	"davs":  443,
	"smtps": 465,
	"ldaps": 636,
	"ftps":  990,
	"imaps": 993,
	"pop3s": 995,
}

// plainSchemes maps cleartext schemes to the TLS scheme to suggest instead.
var plainSchemes = map[string]string{
	"http": "https",
	"ws":   "wss",
	"dav":  "davs",
}

// startTLSSchemes maps each scheme that upgrades a plaintext connection
// to its STARTTLS protocol (package starttls names them); the default port
// is the protocol's, from startTLSPorts.
var startTLSSchemes = map[string]string{
	"smtp":        "smtp",
	"lmtp":        "lmtp",
	"imap":        "imap",
	"pop3":        "pop3",
	"ftp":         "ftp",
	"xmpp":        "xmpp",
	"xmpp-server": "xmpp-server",
	"sieve":       "sieve",
	"ldap":        "ldap",
	"nntp":        "nntp",
	"postgres":    "postgres",
	"postgresql":  "postgres",
	"mysql":       "mysql",
	// submission is SMTP on the message submission port.
	"submission": "smtp",
}

// startTLSPorts is each STARTTLS protocol's default port.
var startTLSPorts = map[string]int{
	"smtp":            25,
	"lmtp":            24,
	"imap":            143,
	"pop3":            110,
	"ftp":             21,
	"xmpp":            5222,
	"xmpp-server":     5269,
	"sieve":           4190,
	"ldap":            389,
	"nntp":            119,
	"postgres":        5432,
	"postgres-direct": 5432,
	"mysql":           3306,
}

// schemeDefaultPort overrides the protocol's port for a scheme.
var schemeDefaultPort = map[string]int{"submission": 587}

// StartTLSProtocols returns the STARTTLS protocols a target may name, sorted.
func StartTLSProtocols() []string {
	return slices.Sorted(maps.Keys(startTLSPorts))
}

// StartTLSPort returns proto's default port, and false when proto is not
// a STARTTLS protocol.
func StartTLSPort(proto string) (int, bool) {
	p, ok := startTLSPorts[proto]
	return p, ok
}

// Schemes returns every scheme Parse accepts, sorted: the implicit-TLS
// ones and the STARTTLS ones.
func Schemes() []string {
	var out []string
	for s := range schemePorts {
		out = append(out, s)
	}
	for s := range startTLSSchemes {
		out = append(out, s)
	}
	sort.Strings(out)
	return out
}

// Target is one parsed endpoint.
type Target struct {
	// Raw is the input as given, with surrounding white space trimmed.
	Raw string
	// Scheme is the lower-case URL scheme ("https", "smtps", ...), or ""
	// when the input had no scheme.
	Scheme string
	// Host is the normalised host: a lower-case ASCII host name (IDNs
	// converted to their xn-- A-label form, no trailing dot), an IPv4
	// address, or an IPv6 address in RFC 5952 form without brackets.
	Host string
	// Port is the TCP port, 1 to 65535.
	Port int
	// IsIP reports whether Host is an IP address rather than a host name.
	IsIP bool
	// Line is the 1-based line of the target in a list file, or 0 when it
	// did not come from a list. Parse leaves it 0; the caller sets it.
	Line int
	// StartTLS is the plaintext protocol upgraded to TLS before the
	// handshake ("smtp", "postgres", one of StartTLSProtocols), from the
	// scheme (smtp://) or --starttls; "" for implicit TLS. The certificate
	// must still match Host.
	StartTLS string
}

// Addr returns the address to dial, "host:port", with IPv6 hosts in
// brackets.
func (t Target) Addr() string {
	return net.JoinHostPort(t.Host, strconv.Itoa(t.Port))
}

// Key returns the normalised "host:port" form of t (IPv6 hosts in
// brackets). Two targets that reach the same endpoint under the same name
// have the same Key, whatever scheme, path or spelling they were written
// with, so Key suits de-duplication and sharding. Parse(t.Key()) gives back
// the same Host and Port.
func (t Target) Key() string {
	return net.JoinHostPort(t.Host, strconv.Itoa(t.Port))
}

// String returns Raw, the target as the user wrote it, or Key when Raw is
// empty.
func (t Target) String() string {
	if t.Raw != "" {
		return t.Raw
	}
	return t.Key()
}

// Parse parses one target. It accepts
//
//	https://host[:port][/path][?query][#fragment]   (path, query and fragment are ignored)
//	host  host:port  IPv4  IPv4:port  [IPv6]  [IPv6]:port  IPv6
//
// and the implicit-TLS schemes smtps, imaps, pop3s, ldaps, ftps, davs and
// wss, each with its own default port. Without a port or scheme the port is
// DefaultPort. Surrounding white space is ignored.
//
// The STARTTLS schemes smtp (25), submission (587), lmtp (24), imap (143),
// pop3 (110), ftp (21), xmpp (5222), xmpp-server (5269), sieve (4190),
// ldap (389), nntp (119), postgres and postgresql (5432) and mysql (3306)
// set StartTLS. postgres://host/?sslnegotiation=direct asks for
// PostgreSQL 17's direct TLS instead (StartTLS "postgres-direct").
//
// Every error is a *ParseError that says what is wrong and how to fix it.
func Parse(s string) (Target, error) {
	t, _, err := parse(s)
	return t, err
}

// ParseStartTLS is Parse for a run with --starttls proto: a target without
// a scheme upgrades with proto, on proto's default port when it names
// none. A target with a scheme keeps its own meaning. proto "" is Parse;
// proto must otherwise be one of StartTLSProtocols.
func ParseStartTLS(s, proto string) (Target, error) {
	t, portGiven, err := parse(s)
	if err != nil || proto == "" || t.Scheme != "" {
		return t, err
	}
	port, ok := startTLSPorts[proto]
	if !ok {
		return Target{}, newError(t.Raw, "unknown STARTTLS protocol "+quote(proto),
			"use one of "+strings.Join(StartTLSProtocols(), ", "))
	}
	t.StartTLS = proto
	if !portGiven {
		t.Port = port
	}
	return t, nil
}

// parse is Parse, and reports whether the target named its port.
func parse(s string) (Target, bool, error) {
	if len(s) > MaxTargetBytes {
		return Target{}, false, newError(s, "target is longer than "+strconv.Itoa(MaxTargetBytes)+" bytes",
			"give one host or URL per argument or line")
	}
	raw := strings.TrimSpace(s)
	if raw == "" {
		return Target{}, false, newError(raw, "empty target", "give a host name, host:port or https:// URL")
	}
	if err := checkChars(raw); err != nil {
		return Target{}, false, err
	}

	t := Target{Raw: raw, Port: DefaultPort}
	rest := raw
	if i := strings.Index(rest, "://"); i >= 0 {
		scheme := strings.ToLower(rest[:i])
		after := rest[i+3:]
		if !validScheme(scheme) {
			return Target{}, false, newError(raw, "malformed scheme "+quote(rest[:i]),
				"write the target as https://HOST, HOST or HOST:PORT")
		}
		port, ok := schemePorts[scheme]
		if proto, starttls := startTLSSchemes[scheme]; starttls {
			port, ok = startTLSPorts[proto], true
			if p, own := schemeDefaultPort[scheme]; own {
				port = p
			}
			t.StartTLS = proto
			if proto == "postgres" {
				direct, err := postgresNegotiation(raw, after)
				if err != nil {
					return Target{}, false, err
				}
				if direct {
					t.StartTLS = "postgres-direct"
				}
			}
		}
		if !ok {
			if tls, plain := plainSchemes[scheme]; plain {
				return Target{}, false, newError(raw, scheme+":// is not a TLS scheme",
					"use "+tls+":// instead")
			}
			return Target{}, false, newError(raw, "unsupported scheme "+quote(scheme),
				"use https://, one of "+schemeList()+", or HOST:PORT")
		}
		t.Scheme = scheme
		t.Port = port
		// The authority ends at the first '/', '?' or '#'.
		rest = after
		if j := strings.IndexAny(rest, "/?#"); j >= 0 {
			rest = rest[:j]
		}
		if rest == "" {
			return Target{}, false, newError(raw, "no host after "+scheme+"://", "e.g. "+scheme+"://example.com/")
		}
	} else {
		if j := strings.IndexAny(rest, "/?#"); j >= 0 {
			// A bare path start: "example.com/x", or "https:/example.com".
			if k := strings.IndexByte(rest, ':'); k >= 0 && k < j && isKnownScheme(strings.ToLower(rest[:k])) && !isDigits(rest[k+1:j]) {
				return Target{}, false, newError(raw, "missing \"//\" after "+quote(rest[:k+1]),
					"write "+strings.ToLower(rest[:k])+"://HOST")
			}
			return Target{}, false, newError(raw, "unexpected "+strconv.QuoteRune(rune(rest[j]))+" in a target without a scheme",
				"a path, query or fragment needs a URL: https://"+truncate(rest, 40))
		}
		// "https:example.com" lacks its "//"; "https:443" is a host named
		// https with a port.
		if k := strings.IndexByte(rest, ':'); k >= 0 && isKnownScheme(strings.ToLower(rest[:k])) && !isDigits(rest[k+1:]) {
			return Target{}, false, newError(raw, "missing \"//\" after "+quote(rest[:k+1]),
				"write "+strings.ToLower(rest[:k])+"://"+truncate(rest[k+1:], 40))
		}
	}
	authority := rest

	if strings.Contains(authority, "@") {
		return Target{}, false, newError(raw, "user name or password in the target",
			"certgate never sends credentials; remove everything up to and including '@'")
	}

	host, portStr, bracketed, err := splitHostPort(raw, authority, t.Scheme != "")
	if err != nil {
		return Target{}, false, err
	}
	portGiven := portStr != ""
	if portGiven {
		p, err := parsePort(raw, portStr)
		if err != nil {
			return Target{}, false, err
		}
		t.Port = p
	}

	if bracketed {
		addr, err := parseIPv6(raw, host)
		if err != nil {
			return Target{}, false, err
		}
		t.Host, t.IsIP = addr.String(), true
		return t, portGiven, nil
	}
	if strings.Count(host, ":") >= 2 {
		// A bare IPv6 literal: splitHostPort only allows it without a scheme.
		addr, err := parseIPv6(raw, host)
		if err != nil {
			return Target{}, false, err
		}
		t.Host, t.IsIP = addr.String(), true
		return t, portGiven, nil
	}

	h, isIP, err := normaliseHost(raw, host)
	if err != nil {
		return Target{}, false, err
	}
	t.Host, t.IsIP = h, isIP
	return t, portGiven, nil
}

// postgresNegotiation reads the sslnegotiation parameter of a postgres://
// URL's query (after is the URL after "://"), as libpq does: "direct" is
// PostgreSQL 17's direct TLS, "postgres" (the default) the SSLRequest.
func postgresNegotiation(raw, after string) (bool, error) {
	_, query, ok := strings.Cut(after, "?")
	if !ok {
		return false, nil
	}
	query, _, _ = strings.Cut(query, "#")
	direct := false
	for _, kv := range strings.Split(query, "&") {
		k, v, _ := strings.Cut(kv, "=")
		if k != "sslnegotiation" {
			continue
		}
		switch v {
		case "direct":
			direct = true
		case "postgres":
			direct = false
		default:
			return false, newError(raw, "sslnegotiation="+truncate(v, 40)+" is not a PostgreSQL TLS negotiation",
				"use sslnegotiation=postgres (the SSLRequest, the default) or sslnegotiation=direct (PostgreSQL 17's direct TLS)")
		}
	}
	return direct, nil
}

// checkChars rejects invalid UTF-8, white space, control characters and
// invisible format characters anywhere in s.
func checkChars(s string) error {
	for i, size := 0, 0; i < len(s); i += size {
		var r rune
		r, size = utf8.DecodeRuneInString(s[i:])
		switch {
		case r == utf8.RuneError && size == 1:
			return newError(s, "not valid UTF-8 at byte "+strconv.Itoa(i),
				"save the list as UTF-8 and remove stray binary data")
		case unicode.IsSpace(r):
			return newError(s, "contains white space ("+runeName(r)+") at byte "+strconv.Itoa(i),
				"give one target per argument or line; in a URL path write a space as %20")
		case r < 0x20 || r == 0x7f || (r >= 0x80 && r < 0xa0):
			return newError(s, "contains the control character "+runeName(r)+" at byte "+strconv.Itoa(i),
				"remove it; a target is plain text")
		case unicode.Is(unicode.Cf, r) && r != 0x200c && r != 0x200d:
			return newError(s, "contains the invisible character "+runeName(r)+" at byte "+strconv.Itoa(i),
				"remove it; it can make a target look like another")
		}
	}
	return nil
}

// runeName formats r as U+XXXX.
func runeName(r rune) string {
	s := strings.ToUpper(strconv.FormatInt(int64(r), 16))
	for len(s) < 4 {
		s = "0" + s
	}
	return "U+" + s
}

// validScheme reports whether s is a syntactically valid URL scheme
// (RFC 3986: ALPHA *( ALPHA / DIGIT / "+" / "-" / "." )), already lower-case.
func validScheme(s string) bool {
	if s == "" || s[0] < 'a' || s[0] > 'z' {
		return false
	}
	for i := 1; i < len(s); i++ {
		c := s[i]
		if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '+' || c == '-' || c == '.') {
			return false
		}
	}
	return true
}

// isKnownScheme reports whether s is a scheme that Parse knows, TLS or not.
func isKnownScheme(s string) bool {
	_, tls := schemePorts[s]
	_, plain := plainSchemes[s]
	_, starttls := startTLSSchemes[s]
	return tls || plain || starttls
}

// schemeList names the accepted schemes other than https, for hints.
func schemeList() string {
	return "smtps, imaps, pop3s, ldaps, ftps, davs, wss, the STARTTLS schemes smtp, submission, lmtp, imap, pop3, ftp, xmpp, xmpp-server, sieve, ldap, nntp, postgres, mysql"
}

// splitHostPort splits an authority into host and port. bracketed reports
// whether the host was written as [IPv6]; the brackets are removed. portStr
// is "" when no port was given.
func splitHostPort(raw, authority string, isURL bool) (host, portStr string, bracketed bool, err error) {
	if strings.HasPrefix(authority, "[") {
		end := strings.IndexByte(authority, ']')
		if end < 0 {
			return "", "", false, newError(raw, "'[' without a closing ']'",
				"write an IPv6 address as [2001:db8::1] or [2001:db8::1]:443")
		}
		host = authority[1:end]
		after := authority[end+1:]
		if strings.ContainsAny(host, "[") || strings.ContainsAny(after, "[]") {
			return "", "", false, newError(raw, "unbalanced brackets",
				"write an IPv6 address as [2001:db8::1] or [2001:db8::1]:443")
		}
		switch {
		case after == "":
		case after[0] == ':':
			portStr = after[1:]
			if portStr == "" {
				return "", "", false, newError(raw, "empty port after ':'",
					"drop the ':' or give a port, e.g. ["+truncate(host, 40)+"]:443")
			}
		default:
			return "", "", false, newError(raw, "unexpected "+quote(after)+" after ']'",
				"write an IPv6 address with a port as [2001:db8::1]:443")
		}
		return host, portStr, true, nil
	}
	if strings.ContainsAny(authority, "[]") {
		return "", "", false, newError(raw, "unbalanced brackets",
			"write an IPv6 address as [2001:db8::1] or [2001:db8::1]:443")
	}
	switch strings.Count(authority, ":") {
	case 0:
		return authority, "", false, nil
	case 1:
		i := strings.IndexByte(authority, ':')
		host, portStr = authority[:i], authority[i+1:]
		if portStr == "" {
			return "", "", false, newError(raw, "empty port after ':'",
				"drop the ':' or give a port, e.g. "+orExample(truncate(host, 40))+":443")
		}
		if host == "" {
			return "", "", false, newError(raw, "no host before ':"+truncate(portStr, 40)+"'",
				"put a host name before the ':', e.g. example.com:443")
		}
		return host, portStr, false, nil
	default:
		if isURL {
			if _, err := netip.ParseAddr(authority); err == nil {
				return "", "", false, newError(raw, "IPv6 address without brackets in a URL",
					"write it in brackets: https://["+authority+"]/")
			}
			return "", "", false, newError(raw, "too many ':' in "+quote(authority),
				"write HOST:PORT, or an IPv6 address in brackets: [2001:db8::1]:443")
		}
		// A bare IPv6 literal such as ::1; it cannot carry a port.
		return authority, "", false, nil
	}
}

// orExample returns host, or "example.com" when host is empty.
func orExample(host string) string {
	if host == "" {
		return "example.com"
	}
	return host
}

// parsePort parses a decimal port in 1..65535.
func parsePort(raw, s string) (int, error) {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return 0, newError(raw, "port "+quote(s)+" is not a number",
				"give a port from 1 to 65535, e.g. example.com:8443")
		}
	}
	digits := strings.TrimLeft(s, "0")
	n := 0
	if len(digits) <= 5 {
		n, _ = strconv.Atoi(digits) // digits only, at most 5: cannot fail
	} else {
		n = 1 << 20 // out of range; avoid overflow on huge numbers
	}
	if n < 1 || n > 65535 {
		return 0, newError(raw, "port "+truncate(s, 40)+" is out of range",
			"give a port from 1 to 65535")
	}
	return n, nil
}

// parseIPv6 parses the text of an IPv6 address, given without brackets.
func parseIPv6(raw, s string) (netip.Addr, error) {
	if i := strings.IndexByte(s, '%'); i >= 0 {
		return netip.Addr{}, newError(raw, "IPv6 zone "+quote(s[i:])+" is not supported",
			"use a global address or a host name instead of a link-local address with a zone")
	}
	addr, err := netip.ParseAddr(s)
	if err != nil || !addr.Is6() {
		if err == nil && addr.Is4() {
			return netip.Addr{}, newError(raw, quote(s)+" in brackets is not an IPv6 address",
				"drop the brackets: brackets are only for IPv6 addresses")
		}
		if s == "" {
			return netip.Addr{}, newError(raw, "empty brackets",
				"put an IPv6 address in the brackets, e.g. [2001:db8::1]:443")
		}
		return netip.Addr{}, newError(raw, quote(s)+" is not a valid IPv6 address",
			"check the address; with a port, write it as [2001:db8::1]:443")
	}
	return addr, nil
}

// normaliseHost validates and normalises a host name or IPv4 address given
// without brackets or port.
func normaliseHost(raw, host string) (string, bool, error) {
	if host == "" {
		return "", false, newError(raw, "no host", "give a host name, e.g. example.com")
	}
	if strings.Contains(host, "%") {
		return "", false, newError(raw, "'%' in the host name",
			"write the host name without %-escapes; international names may be given as is")
	}
	h := strings.TrimSuffix(asciiLower(host), ".")
	if h == "" {
		return "", false, newError(raw, "no host", "give a host name, e.g. example.com")
	}
	if !isASCII(h) {
		var err error
		if h, err = toASCII(raw, h); err != nil {
			return "", false, err
		}
		h = strings.TrimSuffix(h, ".")
		if h == "" {
			return "", false, newError(raw, "no host", "give a host name, e.g. example.com")
		}
	}
	if addr, err := netip.ParseAddr(h); err == nil && addr.Is4() {
		return addr.String(), true, nil
	}
	if err := checkHostName(raw, h); err != nil {
		return "", false, err
	}
	return h, false, nil
}

// toASCII converts each non-ASCII label of h to its A-label with the IDNA
// Lookup profile. ASCII labels are kept as they are, so names that the
// profile's STD3 rules would refuse but DNS allows (such as _dmarc) survive.
func toASCII(raw, h string) (string, error) {
	labels := strings.Split(h, ".")
	for i, l := range labels {
		if isASCII(l) {
			continue
		}
		a, err := idna.Lookup.ToASCII(l)
		if err != nil {
			return "", newError(raw, "international label "+quote(l)+" cannot be converted to an A-label ("+truncate(err.Error(), 80)+")",
				"check the name, or give its xn-- (punycode) form")
		}
		labels[i] = asciiLower(a)
	}
	return strings.Join(labels, "."), nil
}

// checkHostName validates a lower-case ASCII host name without a trailing dot.
func checkHostName(raw, h string) error {
	if len(h) > maxHostLen {
		return newError(raw, "host name is "+strconv.Itoa(len(h))+" characters long",
			"a host name may be at most "+strconv.Itoa(maxHostLen)+" characters")
	}
	labels := strings.Split(h, ".")
	for _, l := range labels {
		if l == "" {
			return newError(raw, "empty label in host name "+quote(h),
				"remove the extra '.'")
		}
		if len(l) > maxLabelLen {
			return newError(raw, "label "+quote(l)+" is "+strconv.Itoa(len(l))+" characters long",
				"each dot-separated part of a host name may be at most "+strconv.Itoa(maxLabelLen)+" characters")
		}
		for i := 0; i < len(l); i++ {
			c := l[i]
			if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-' || c == '_') {
				return newError(raw, "invalid character "+strconv.QuoteRune(rune(c))+" in host name",
					"a host name has letters, digits, '-', '_' and '.'")
			}
		}
		if l[0] == '-' || l[len(l)-1] == '-' {
			return newError(raw, "label "+quote(l)+" starts or ends with '-'",
				"check the host name; a label cannot start or end with a hyphen")
		}
	}
	if last := labels[len(labels)-1]; looksNumeric(last) {
		return newError(raw, quote(h)+" looks like an IP address but is not a valid one",
			"write an IPv4 address as four decimal numbers, e.g. 192.0.2.1")
	}
	return nil
}

// looksNumeric reports whether a final label would make a resolver or URL
// parser read the name as an IPv4 address: all decimal digits, or 0x
// followed by hex digits (WHATWG URL "ends in a number").
func looksNumeric(l string) bool {
	if len(l) >= 2 && l[0] == '0' && l[1] == 'x' {
		for i := 2; i < len(l); i++ {
			c := l[i]
			if !(c >= '0' && c <= '9' || c >= 'a' && c <= 'f') {
				return false
			}
		}
		return true
	}
	for i := 0; i < len(l); i++ {
		if l[i] < '0' || l[i] > '9' {
			return false
		}
	}
	return true
}

// isDigits reports whether s is non-empty and all ASCII decimal digits.
func isDigits(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// isASCII reports whether s is all ASCII.
func isASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= utf8.RuneSelf {
			return false
		}
	}
	return true
}

// asciiLower lower-cases the ASCII letters of s and leaves other bytes alone.
func asciiLower(s string) string {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c >= 'A' && c <= 'Z' {
			b := []byte(s)
			for j := i; j < len(b); j++ {
				if b[j] >= 'A' && b[j] <= 'Z' {
					b[j] += 'a' - 'A'
				}
			}
			return string(b)
		}
	}
	return s
}
