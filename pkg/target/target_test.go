package target

import (
	"errors"
	"strings"
	"testing"
	"unicode/utf8"
)

func TestParse(t *testing.T) {
	tests := []struct {
		name    string
		in      string
		want    Target // Raw is checked against the trimmed input
		wantErr string // substring of the error; "" means success
	}{
		// Host names and ports.
		{name: "host", in: "example.com", want: Target{Host: "example.com", Port: 443}},
		{name: "host port", in: "example.com:8443", want: Target{Host: "example.com", Port: 8443}},
		{name: "upper-case host", in: "API.Example.COM", want: Target{Host: "api.example.com", Port: 443}},
		{name: "single label", in: "localhost", want: Target{Host: "localhost", Port: 443}},
		{name: "trailing dot", in: "example.com.", want: Target{Host: "example.com", Port: 443}},
		{name: "trailing dot port", in: "example.com.:8443", want: Target{Host: "example.com", Port: 8443}},
		{name: "underscore", in: "_dmarc.example.com", want: Target{Host: "_dmarc.example.com", Port: 443}},
		{name: "double hyphen", in: "r3---sn-abc.googlevideo.com", want: Target{Host: "r3---sn-abc.googlevideo.com", Port: 443}},
		{name: "digits in labels", in: "123.example.com", want: Target{Host: "123.example.com", Port: 443}},
		{name: "port 1", in: "example.com:1", want: Target{Host: "example.com", Port: 1}},
		{name: "port 65535", in: "example.com:65535", want: Target{Host: "example.com", Port: 65535}},
		{name: "port leading zeros", in: "example.com:0443", want: Target{Host: "example.com", Port: 443}},
		{name: "surrounding space", in: "  example.com\t\r\n", want: Target{Host: "example.com", Port: 443}},
		{name: "label 63", in: strings.Repeat("a", 63) + ".com", want: Target{Host: strings.Repeat("a", 63) + ".com", Port: 443}},
		{name: "host 253", in: longHost(253), want: Target{Host: longHost(253), Port: 443}},

		// URLs.
		{name: "https", in: "https://example.com", want: Target{Scheme: "https", Host: "example.com", Port: 443}},
		{name: "https path", in: "https://api.example.com/hooks/sms", want: Target{Scheme: "https", Host: "api.example.com", Port: 443}},
		{name: "https port path query fragment", in: "https://example.com:8443/a/b?c=d&e#f", want: Target{Scheme: "https", Host: "example.com", Port: 8443}},
		{name: "https query only", in: "https://example.com?x=1", want: Target{Scheme: "https", Host: "example.com", Port: 443}},
		{name: "https fragment only", in: "https://example.com#top", want: Target{Scheme: "https", Host: "example.com", Port: 443}},
		{name: "https at in path", in: "https://example.com/user@x", want: Target{Scheme: "https", Host: "example.com", Port: 443}},
		{name: "https upper-case", in: "HTTPS://Example.COM/", want: Target{Scheme: "https", Host: "example.com", Port: 443}},
		{name: "https unicode path", in: "https://example.com/bücher", want: Target{Scheme: "https", Host: "example.com", Port: 443}},
		{name: "smtps", in: "smtps://mail.example.com", want: Target{Scheme: "smtps", Host: "mail.example.com", Port: 465}},
		{name: "imaps", in: "imaps://mail.example.com", want: Target{Scheme: "imaps", Host: "mail.example.com", Port: 993}},
		{name: "pop3s", in: "pop3s://mail.example.com", want: Target{Scheme: "pop3s", Host: "mail.example.com", Port: 995}},
		{name: "ldaps", in: "ldaps://ldap.example.com", want: Target{Scheme: "ldaps", Host: "ldap.example.com", Port: 636}},
		{name: "ftps", in: "ftps://ftp.example.com", want: Target{Scheme: "ftps", Host: "ftp.example.com", Port: 990}},
		{name: "davs", in: "davs://dav.example.com/x", want: Target{Scheme: "davs", Host: "dav.example.com", Port: 443}},
		{name: "wss", in: "wss://ws.example.com/socket", want: Target{Scheme: "wss", Host: "ws.example.com", Port: 443}},
		// STARTTLS schemes, each with its protocol's port.
		{name: "smtp", in: "smtp://mail.example.com", want: Target{Scheme: "smtp", Host: "mail.example.com", Port: 25, StartTLS: "smtp"}},
		{name: "submission", in: "submission://mail.example.com", want: Target{Scheme: "submission", Host: "mail.example.com", Port: 587, StartTLS: "smtp"}},
		{name: "lmtp", in: "lmtp://mail.example.com", want: Target{Scheme: "lmtp", Host: "mail.example.com", Port: 24, StartTLS: "lmtp"}},
		{name: "imap", in: "IMAP://mail.example.com", want: Target{Scheme: "imap", Host: "mail.example.com", Port: 143, StartTLS: "imap"}},
		{name: "pop3", in: "pop3://mail.example.com", want: Target{Scheme: "pop3", Host: "mail.example.com", Port: 110, StartTLS: "pop3"}},
		{name: "ftp", in: "ftp://ftp.example.com", want: Target{Scheme: "ftp", Host: "ftp.example.com", Port: 21, StartTLS: "ftp"}},
		{name: "xmpp", in: "xmpp://chat.example.com", want: Target{Scheme: "xmpp", Host: "chat.example.com", Port: 5222, StartTLS: "xmpp"}},
		{name: "xmpp-server", in: "xmpp-server://chat.example.com", want: Target{Scheme: "xmpp-server", Host: "chat.example.com", Port: 5269, StartTLS: "xmpp-server"}},
		{name: "sieve", in: "sieve://mail.example.com", want: Target{Scheme: "sieve", Host: "mail.example.com", Port: 4190, StartTLS: "sieve"}},
		{name: "ldap", in: "ldap://ldap.example.com/dc=example,dc=com", want: Target{Scheme: "ldap", Host: "ldap.example.com", Port: 389, StartTLS: "ldap"}},
		{name: "nntp", in: "nntp://news.example.com", want: Target{Scheme: "nntp", Host: "news.example.com", Port: 119, StartTLS: "nntp"}},
		{name: "postgres", in: "postgres://db.example.com/app", want: Target{Scheme: "postgres", Host: "db.example.com", Port: 5432, StartTLS: "postgres"}},
		{name: "postgresql", in: "postgresql://db.example.com:6432", want: Target{Scheme: "postgresql", Host: "db.example.com", Port: 6432, StartTLS: "postgres"}},
		{name: "postgres direct", in: "postgres://db.example.com/app?application_name=x&sslnegotiation=direct", want: Target{Scheme: "postgres", Host: "db.example.com", Port: 5432, StartTLS: "postgres-direct"}},
		{name: "postgres negotiation postgres", in: "postgres://db.example.com?sslnegotiation=postgres", want: Target{Scheme: "postgres", Host: "db.example.com", Port: 5432, StartTLS: "postgres"}},
		{name: "mysql", in: "mysql://db.example.com", want: Target{Scheme: "mysql", Host: "db.example.com", Port: 3306, StartTLS: "mysql"}},
		{name: "scheme port overridden", in: "smtps://mail.example.com:2465", want: Target{Scheme: "smtps", Host: "mail.example.com", Port: 2465}},

		// IDN.
		{name: "idn url", in: "https://bücher.example/", want: Target{Scheme: "https", Host: "xn--bcher-kva.example", Port: 443}},
		{name: "idn upper-case", in: "BÜCHER.example", want: Target{Host: "xn--bcher-kva.example", Port: 443}},
		{name: "idn japanese", in: "例え.テスト", want: Target{Host: "xn--r8jz45g.xn--zckzah", Port: 443}},
		{name: "idn a-label kept", in: "xn--bcher-kva.example", want: Target{Host: "xn--bcher-kva.example", Port: 443}},
		{name: "idn fullwidth", in: "ｅｘａｍｐｌｅ.com", want: Target{Host: "example.com", Port: 443}},
		{name: "idn ideographic dot", in: "bücher。example", want: Target{Host: "xn--bcher-kva.example", Port: 443}},
		{name: "idn with underscore label", in: "_x.bücher.example", want: Target{Host: "_x.xn--bcher-kva.example", Port: 443}},

		// IP addresses.
		{name: "ipv4", in: "127.0.0.1", want: Target{Host: "127.0.0.1", Port: 443, IsIP: true}},
		{name: "ipv4 port", in: "192.0.2.1:8443", want: Target{Host: "192.0.2.1", Port: 8443, IsIP: true}},
		{name: "ipv4 url", in: "https://192.0.2.1/x", want: Target{Scheme: "https", Host: "192.0.2.1", Port: 443, IsIP: true}},
		{name: "ipv4 trailing dot", in: "192.0.2.1.", want: Target{Host: "192.0.2.1", Port: 443, IsIP: true}},
		{name: "ipv6 brackets", in: "[::1]", want: Target{Host: "::1", Port: 443, IsIP: true}},
		{name: "ipv6 brackets port", in: "[::1]:8443", want: Target{Host: "::1", Port: 8443, IsIP: true}},
		{name: "ipv6 bare", in: "::1", want: Target{Host: "::1", Port: 443, IsIP: true}},
		{name: "ipv6 bare long", in: "2001:DB8:0:0:0:0:0:1", want: Target{Host: "2001:db8::1", Port: 443, IsIP: true}},
		{name: "ipv6 url", in: "https://[2001:db8::1]:8443/x", want: Target{Scheme: "https", Host: "2001:db8::1", Port: 8443, IsIP: true}},
		{name: "ipv6 mapped ipv4", in: "[::ffff:192.0.2.1]", want: Target{Host: "::ffff:192.0.2.1", Port: 443, IsIP: true}},

		// Errors: empty and huge.
		{name: "empty", in: "", wantErr: "empty target"},
		{name: "blank", in: " \t ", wantErr: "empty target"},
		{name: "huge", in: "https://example.com/" + strings.Repeat("a", 3000), wantErr: "longer than 2048 bytes"},

		// Errors: schemes.
		{name: "http", in: "http://example.com", wantErr: "use https:// instead"},
		{name: "http upper-case", in: "HTTP://example.com", wantErr: "use https:// instead"},
		{name: "ws", in: "ws://example.com", wantErr: "use wss:// instead"},
		{name: "dav", in: "dav://example.com", wantErr: "use davs:// instead"},
		{name: "postgres bad negotiation", in: "postgres://db.example.com/?sslnegotiation=tls", wantErr: "sslnegotiation=direct"},
		{name: "unknown scheme", in: "gopher://example.com", wantErr: `unsupported scheme "gopher"`},
		{name: "malformed scheme", in: "1x://example.com", wantErr: "malformed scheme"},
		{name: "empty scheme", in: "://example.com", wantErr: "malformed scheme"},
		{name: "https no host", in: "https://", wantErr: "no host after https://"},
		{name: "https path no host", in: "https:///path", wantErr: "no host after https://"},
		{name: "https empty host port", in: "https://:443", wantErr: "no host before ':443'"},
		{name: "https no slashes", in: "https:example.com", wantErr: `missing "//"`},
		{name: "https one slash", in: "https:/example.com", wantErr: `missing "//"`},
		{name: "host named like a scheme", in: "https:443", want: Target{Host: "https", Port: 443}},
		{name: "host named smtp", in: "SMTP", want: Target{Host: "smtp", Port: 443}},
		{name: "host named like a scheme with path", in: "https:443/x", wantErr: "needs a URL"},
		{name: "path without scheme", in: "example.com/path", wantErr: "needs a URL: https://example.com/path"},
		{name: "query without scheme", in: "example.com?x", wantErr: "needs a URL"},
		{name: "scheme relative", in: "//example.com", wantErr: "needs a URL"},

		// Errors: credentials.
		{name: "userinfo", in: "https://user:pw@example.com/", wantErr: "never sends credentials"},
		{name: "userinfo user only", in: "https://user@example.com/", wantErr: "never sends credentials"},
		{name: "userinfo no scheme", in: "user@example.com", wantErr: "never sends credentials"},
		{name: "userinfo http", in: "http://user:pw@example.com/", wantErr: "use https://"},

		// Errors: ports.
		{name: "port 0", in: "host:0", wantErr: "port 0 is out of range"},
		{name: "port 65536", in: "host:65536", wantErr: "port 65536 is out of range"},
		{name: "port huge", in: "host:99999999999999999999999", wantErr: "out of range"},
		{name: "port abc", in: "host:abc", wantErr: `port "abc" is not a number`},
		{name: "port negative", in: "host:-1", wantErr: "is not a number"},
		{name: "port plus", in: "host:+443", wantErr: "is not a number"},
		{name: "port empty", in: "host:", wantErr: "empty port"},
		{name: "port empty url", in: "https://host:/", wantErr: "empty port"},
		{name: "port only", in: ":443", wantErr: "no host"},
		{name: "port ipv6 empty", in: "[::1]:", wantErr: "empty port"},
		{name: "port ipv6 65536", in: "[::1]:65536", wantErr: "out of range"},
		{name: "two ports", in: "https://host:443:444", wantErr: "too many ':'"},

		// Errors: brackets and IPv6.
		{name: "open bracket", in: "[::1", wantErr: "without a closing ']'"},
		{name: "close bracket", in: "::1]", wantErr: "unbalanced brackets"},
		{name: "brackets twice", in: "[[::1]]", wantErr: "unbalanced brackets"},
		{name: "bracket junk after", in: "[::1]x", wantErr: `unexpected "x" after ']'`},
		{name: "bracketed ipv4", in: "[192.0.2.1]", wantErr: "drop the brackets"},
		{name: "bracketed name", in: "[example.com]", wantErr: "not a valid IPv6 address"},
		{name: "empty brackets", in: "[]", wantErr: "empty brackets"},
		{name: "bare ipv6 in url", in: "https://::1/", wantErr: "https://[::1]/"},
		{name: "bad bare ipv6", in: "1:2:3", wantErr: "not a valid IPv6 address"},
		{name: "zone bare", in: "fe80::1%eth0", wantErr: `IPv6 zone "%eth0"`},
		{name: "zone bracketed", in: "[fe80::1%eth0]:443", wantErr: "IPv6 zone"},
		{name: "zone url escaped", in: "https://[fe80::1%25eth0]/", wantErr: "IPv6 zone"},

		// Errors: characters.
		{name: "space inside", in: "exam ple.com", wantErr: "white space (U+0020) at byte 4"},
		{name: "tab inside", in: "example.com\t:443", wantErr: "white space"},
		{name: "nbsp inside", in: "example.com\u00a0x", wantErr: "white space"},
		{name: "nul", in: "example.com\x00", wantErr: "control character U+0000"},
		{name: "escape", in: "\x1b[31mexample.com", wantErr: "control character U+001B"},
		{name: "del", in: "example\x7f.com", wantErr: "control character U+007F"},
		{name: "c1", in: "example\u0085.com", wantErr: "U+0085"},
		{name: "bidi override", in: "https://example.com/\u202egpj", wantErr: "invisible character U+202E"},
		{name: "invalid utf8", in: "exa\xffmple.com", wantErr: "not valid UTF-8 at byte 3"},
		{name: "binary garbage", in: "\x89PNG\r\n\x1a\n\x00\x00", wantErr: "invalid target"},
		{name: "bang", in: "exa!mple.com", wantErr: `invalid character '!'`},
		{name: "backslash", in: `https:\\example.com`, wantErr: `missing "//"`}, {name: "backslash host", in: `example\com`, wantErr: "invalid character"},
		{name: "percent", in: "https://b%C3%BCcher.example/", wantErr: "'%' in the host name"},
		{name: "empty label", in: "a..b", wantErr: "empty label"},
		{name: "leading dot", in: ".example.com", wantErr: "empty label"},
		{name: "only dot", in: ".", wantErr: "no host"},
		{name: "two trailing dots", in: "example.com..", wantErr: "empty label"},
		{name: "label 64", in: strings.Repeat("a", 64) + ".com", wantErr: "64 characters long"},
		{name: "host 254", in: longHost(254), wantErr: "host name is 254 characters long"},
		{name: "leading hyphen", in: "-example.com", wantErr: "starts or ends with '-'"},
		{name: "trailing hyphen", in: "example-.com", wantErr: "starts or ends with '-'"},
		{name: "numeric name", in: "1.2.3", wantErr: "looks like an IP address"},
		{name: "numeric single", in: "2130706433", wantErr: "looks like an IP address"},
		{name: "hex ip", in: "0x7f.0.0.1", wantErr: "looks like an IP address"},
		{name: "hex last label", in: "example.0x1f", wantErr: "looks like an IP address"},
		{name: "octal ipv4", in: "010.0.0.1", wantErr: "looks like an IP address"},
		{name: "ipv4 out of range", in: "256.1.1.1", wantErr: "looks like an IP address"},
		{name: "bad idn", in: "xn--.example\u0301", wantErr: "invalid target"},
		{name: "idn disallowed", in: "bü!cher.example", wantErr: "A-label"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := Parse(tt.in)
			if tt.wantErr != "" {
				if err == nil {
					t.Fatalf("Parse(%q) = %#v, want error containing %q", tt.in, got, tt.wantErr)
				}
				var pe *ParseError
				if !errors.As(err, &pe) {
					t.Fatalf("Parse(%q) error %T, want *ParseError", tt.in, err)
				}
				if !strings.Contains(err.Error(), tt.wantErr) {
					t.Errorf("Parse(%q) error = %q, want it to contain %q", tt.in, err, tt.wantErr)
				}
				if pe.Hint == "" {
					t.Errorf("Parse(%q) error %q has no hint", tt.in, err)
				}
				if got != (Target{}) {
					t.Errorf("Parse(%q) returned %#v with an error, want zero Target", tt.in, got)
				}
				return
			}
			if err != nil {
				t.Fatalf("Parse(%q) error = %v", tt.in, err)
			}
			want := tt.want
			want.Raw = strings.TrimSpace(tt.in)
			if got != want {
				t.Errorf("Parse(%q) = %#v, want %#v", tt.in, got, want)
			}
			checkRoundTrip(t, got)
		})
	}
}

// longHost returns a valid host name of exactly n bytes.
func longHost(n int) string {
	var b strings.Builder
	for b.Len() < n {
		if b.Len() > 0 {
			b.WriteByte('.')
		}
		l := min(63, n-b.Len())
		if l == 1 && b.Len() > 0 {
			// Avoid a one-character numeric-looking tail: use a letter.
			b.WriteByte('z')
			continue
		}
		b.WriteString(strings.Repeat("a", l))
	}
	return b.String()
}

// checkRoundTrip asserts the properties of a successfully parsed target.
func checkRoundTrip(t *testing.T, got Target) {
	t.Helper()
	if got.Port < 1 || got.Port > 65535 {
		t.Fatalf("Port = %d, out of range", got.Port)
	}
	if got.Host == "" {
		t.Fatalf("Host is empty for %q", got.Raw)
	}
	if got.Line != 0 {
		t.Fatalf("Line = %d, want 0 from Parse", got.Line)
	}
	if got.Addr() != got.Key() {
		t.Fatalf("Addr() = %q, Key() = %q, want them equal", got.Addr(), got.Key())
	}
	again, err := Parse(got.Key())
	if err != nil {
		t.Fatalf("Parse(Key() = %q) error = %v (from %q)", got.Key(), err, got.Raw)
	}
	if again.Host != got.Host || again.Port != got.Port || again.IsIP != got.IsIP {
		t.Fatalf("Parse(Key() = %q) = %#v, want Host %q Port %d IsIP %v", got.Key(), again, got.Host, got.Port, got.IsIP)
	}
	if again.Key() != got.Key() {
		t.Fatalf("Key() not stable: %q then %q", got.Key(), again.Key())
	}
}

func TestTargetMethods(t *testing.T) {
	tests := []struct {
		in         string
		addr, str  string
		key        string
		wantScheme string
	}{
		{in: "https://Example.com/x", addr: "example.com:443", str: "https://Example.com/x", key: "example.com:443", wantScheme: "https"},
		{in: "[2001:db8::1]:8443", addr: "[2001:db8::1]:8443", str: "[2001:db8::1]:8443", key: "[2001:db8::1]:8443"},
		{in: "::1", addr: "[::1]:443", str: "::1", key: "[::1]:443"},
		{in: "imaps://mail.example", addr: "mail.example:993", str: "imaps://mail.example", key: "mail.example:993", wantScheme: "imaps"},
	}
	for _, tt := range tests {
		got, err := Parse(tt.in)
		if err != nil {
			t.Fatalf("Parse(%q) error = %v", tt.in, err)
		}
		if got.Addr() != tt.addr || got.String() != tt.str || got.Key() != tt.key || got.Scheme != tt.wantScheme {
			t.Errorf("Parse(%q): Addr %q String %q Key %q Scheme %q, want %q %q %q %q",
				tt.in, got.Addr(), got.String(), got.Key(), got.Scheme, tt.addr, tt.str, tt.key, tt.wantScheme)
		}
	}
	if s := (Target{Host: "example.com", Port: 8443}).String(); s != "example.com:8443" {
		t.Errorf("String() without Raw = %q, want %q", s, "example.com:8443")
	}
}

func TestKeyDedup(t *testing.T) {
	same := []string{
		"example.com",
		"EXAMPLE.com.",
		"https://example.com/a?b#c",
		"wss://Example.COM:443/socket",
		"example.com:00443",
	}
	for _, in := range same {
		got, err := Parse(in)
		if err != nil {
			t.Fatalf("Parse(%q) error = %v", in, err)
		}
		if got.Key() != "example.com:443" {
			t.Errorf("Parse(%q).Key() = %q, want %q", in, got.Key(), "example.com:443")
		}
	}
	a, _ := Parse("[2001:DB8:0::1]")
	b, _ := Parse("2001:db8::0:1")
	if a.Key() != b.Key() || a.Key() != "[2001:db8::1]:443" {
		t.Errorf("IPv6 keys %q and %q, want both %q", a.Key(), b.Key(), "[2001:db8::1]:443")
	}
}

func TestParseErrorMessage(t *testing.T) {
	t.Run("format", func(t *testing.T) {
		_, err := Parse("host:abc")
		want := `invalid target "host:abc": port "abc" is not a number (give a port from 1 to 65535, e.g. example.com:8443)`
		if err == nil || err.Error() != want {
			t.Errorf("error = %v, want %q", err, want)
		}
	})
	t.Run("huge input is shortened", func(t *testing.T) {
		in := strings.Repeat("é", 5000)
		_, err := Parse(in)
		if err == nil {
			t.Fatal("no error for a huge input")
		}
		msg := err.Error()
		if len(msg) > 300 {
			t.Errorf("message is %d bytes long, want it short: %q", len(msg), msg)
		}
		if !strings.Contains(msg, `…"`) {
			t.Errorf("message %q has no ellipsis inside the quotes", msg)
		}
		if !utf8.ValidString(msg) {
			t.Errorf("message %q is not valid UTF-8 (cut inside a rune)", msg)
		}
	})
	t.Run("control characters are escaped", func(t *testing.T) {
		_, err := Parse("\x1b]0;pwned\x07example.com")
		if err == nil {
			t.Fatal("no error")
		}
		msg := err.Error()
		for _, r := range msg {
			if r < 0x20 || r == 0x7f {
				t.Fatalf("message %q contains control character %U", msg, r)
			}
		}
		if !strings.Contains(msg, `\x1b`) {
			t.Errorf("message %q does not show the escape as \\x1b", msg)
		}
	})
	t.Run("long binary garbage is escaped and shortened", func(t *testing.T) {
		b := make([]byte, 2000)
		for i := range b {
			b[i] = byte(i)
		}
		_, err := Parse(string(b))
		if err == nil {
			t.Fatal("no error")
		}
		msg := err.Error()
		if len(msg) > 600 || !utf8.ValidString(msg) {
			t.Errorf("message too long or invalid UTF-8: %q", msg)
		}
		for _, r := range msg {
			if r < 0x20 || r == 0x7f || (r >= 0x80 && r < 0xa0) {
				t.Fatalf("message %q contains control character %U", msg, r)
			}
		}
	})
	t.Run("password is redacted", func(t *testing.T) {
		long := strings.Repeat("s3cret", 10)
		for _, in := range []string{"https://user:s3cret@example.com/", "user:s3cret@example.com:443", "http://u:s3cret@example.com", "https://u:s3cret@exa mple.com",
			"u:s3cret@example.com/x", "https:u:s3cret@example.com", "https:/u:s3cret@example.com", "htps//u:s3cret@example.com",
			"u:" + long + "@example.com/x", "https:u:" + long + "@example.com", "u:s3cret@x://example.com", "https://u:s3cret@\xff.com"} {
			_, err := Parse(in)
			if err == nil {
				t.Fatalf("Parse(%q): no error", in)
			}
			if strings.Contains(err.Error(), "s3cret") {
				t.Errorf("Parse(%q) error repeats the password: %q", in, err)
			}
			var pe *ParseError
			if errors.As(err, &pe) && strings.Contains(pe.Input, "s3cret") {
				t.Errorf("Parse(%q) ParseError.Input repeats the password: %q", in, pe.Input)
			}
		}
	})
	t.Run("input is trimmed", func(t *testing.T) {
		_, err := Parse("  host:abc \n")
		var pe *ParseError
		if !errors.As(err, &pe) || pe.Input != "host:abc" {
			t.Errorf("error %v, want *ParseError with Input %q", err, "host:abc")
		}
	})
}

func TestRedact(t *testing.T) {
	tests := []struct{ in, want string }{
		{"https://u:p@h/", "https://u:xxxxx@h/"},
		{"https://u@h/", "https://u@h/"},
		{"u:p@h:443", "u:xxxxx@h:443"},
		// A "user:password@" in a path is redacted too: it is as secret.
		{"https://h/a:b@c", "https://h/a:xxxxx@c"},
		{"https://u:p:q@r@h", "https://u:xxxxx@h"},
		{"https://:p@h", "https://:xxxxx@h"},
		{"https://u:@h", "https://u:xxxxx@h"},
		{"plain", "plain"},
		{"https://h:8443/x?y#z", "https://h:8443/x?y#z"},
		// Unparsable inputs.
		{"https:/u:s3cret@h", "https:/u:xxxxx@h"},
		{"https:u:s3cret@h", "https:xxxxx@h"},
		{"htps//u:s3cret@h", "htps//u:xxxxx@h"},
		{"u:s3cret@h/x?q#f", "u:xxxxx@h/x?q#f"},
		{"https://u:s3 cret@h", "https://u:xxxxx@h"},
		{"https://u:s3cret@h\xff", "https://u:xxxxx@h\xff"},
		{"https://a:b@c/d:e@f?g:h@i#j:k@l", "https://a:xxxxx@c/d:xxxxx@f?g:xxxxx@i#j:xxxxx@l"},
		{"", ""},
	}
	for _, tt := range tests {
		if got := Redact(tt.in); got != tt.want {
			t.Errorf("Redact(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

var benchInputs = []string{
	"example.com",
	"https://api.example.com/hooks/sms?x=1",
	"example.com:8443",
	"192.0.2.1",
	"[2001:db8::1]:8443",
	"https://bücher.example/",
	"host:abc",
}

func BenchmarkParse(b *testing.B) {
	for _, in := range benchInputs {
		b.Run(in, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				_, _ = Parse(in)
			}
		})
	}
}

// TestParseIDNRunes runs every rune of the Basic Multilingual Plane through
// the IDN path and checks the properties that FuzzParse checks, which random
// fuzzing rarely reaches with valid UTF-8.
func TestParseIDNRunes(t *testing.T) {
	if testing.Short() {
		t.Skip("slow")
	}
	ok := 0
	for r := rune(0x80); r < 0x10000; r++ {
		if r >= 0xd800 && r < 0xe000 {
			continue
		}
		for _, in := range []string{"a" + string(r) + "b.example", string(r) + ".example", "x." + string(r)} {
			got, err := Parse(in)
			if err != nil {
				checkParseError(t, in, err)
				continue
			}
			ok++
			if !isASCII(got.Host) {
				t.Fatalf("Parse(%q).Host = %q, not ASCII", in, got.Host)
			}
			checkRoundTrip(t, got)
		}
	}
	if ok == 0 {
		t.Fatal("no international name parsed")
	}
}

// TestParseStartTLS: --starttls gives a target without a scheme its
// protocol and, when it names no port, the protocol's port; a target with
// a scheme keeps its own meaning.
func TestParseStartTLS(t *testing.T) {
	tests := []struct {
		in, proto string
		want      Target
		wantErr   string
	}{
		{in: "mail.example.com", proto: "smtp", want: Target{Host: "mail.example.com", Port: 25, StartTLS: "smtp"}},
		{in: "mail.example.com:587", proto: "smtp", want: Target{Host: "mail.example.com", Port: 587, StartTLS: "smtp"}},
		{in: "[2001:db8::1]", proto: "imap", want: Target{Host: "2001:db8::1", Port: 143, IsIP: true, StartTLS: "imap"}},
		{in: "db.example.com", proto: "postgres-direct", want: Target{Host: "db.example.com", Port: 5432, StartTLS: "postgres-direct"}},
		{in: "mail.example.com", proto: "", want: Target{Host: "mail.example.com", Port: 443}},
		{in: "https://mail.example.com", proto: "smtp", want: Target{Scheme: "https", Host: "mail.example.com", Port: 443}},
		{in: "imap://mail.example.com", proto: "smtp", want: Target{Scheme: "imap", Host: "mail.example.com", Port: 143, StartTLS: "imap"}},
		{in: "mail.example.com", proto: "gopher", wantErr: "unknown STARTTLS protocol"},
		{in: "mail example", proto: "smtp", wantErr: "white space"},
	}
	for _, tt := range tests {
		t.Run(tt.in+"/"+tt.proto, func(t *testing.T) {
			got, err := ParseStartTLS(tt.in, tt.proto)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("ParseStartTLS(%q, %q) = %v, %v; want error containing %q", tt.in, tt.proto, got, err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			got.Raw = ""
			if got != tt.want {
				t.Errorf("ParseStartTLS(%q, %q) = %#v, want %#v", tt.in, tt.proto, got, tt.want)
			}
		})
	}
}

func TestStartTLSTables(t *testing.T) {
	for scheme, proto := range startTLSSchemes {
		if _, ok := StartTLSPort(proto); !ok {
			t.Errorf("scheme %s: protocol %s has no default port", scheme, proto)
		}
	}
	if got := len(Schemes()); got != len(schemePorts)+len(startTLSSchemes) {
		t.Errorf("Schemes() has %d entries", got)
	}
}
