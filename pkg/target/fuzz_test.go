package target

import (
	"bytes"
	"errors"
	"net/netip"
	"regexp"
	"strings"
	"testing"
	"unicode/utf8"
)

// More seeds live in testdata/fuzz/FuzzParse and testdata/fuzz/FuzzReadList.
var parseSeeds = []string{
	"example.com",
	"https://bücher.example/",
	"[::1]:8443",
	"::1",
	"127.0.0.1",
	"https://user:pw@host/",
	"fe80::1%eth0",
	"smtps://mail.example:2465/x?y#z",
	"smtp://mail.example",
	"postgres://db.example:6432/app?sslnegotiation=direct",
	"\x00\xff[]:%@",
}

func FuzzParse(f *testing.F) {
	for _, s := range parseSeeds {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, in string) {
		got, err := Parse(in)
		if err != nil {
			checkParseError(t, in, err)
			return
		}
		if got.Raw != strings.TrimSpace(in) {
			t.Fatalf("Raw = %q, want the trimmed input %q", got.Raw, strings.TrimSpace(in))
		}
		if got.IsIP {
			addr, perr := netip.ParseAddr(got.Host)
			if perr != nil || addr.Zone() != "" || addr.String() != got.Host {
				t.Fatalf("IP host %q is not a canonical address without a zone", got.Host)
			}
		} else {
			if len(got.Host) > maxHostLen {
				t.Fatalf("Host %q is %d bytes long", got.Host, len(got.Host))
			}
			for i := 0; i < len(got.Host); i++ {
				c := got.Host[i]
				if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-' || c == '_' || c == '.') {
					t.Fatalf("Host %q has byte %q", got.Host, c)
				}
			}
			if _, perr := netip.ParseAddr(got.Host); perr == nil {
				t.Fatalf("Host %q parses as an IP address but IsIP is false", got.Host)
			}
		}
		checkRoundTrip(t, got)
	})
}

// checkParseError asserts that err is a *ParseError with a terminal-safe,
// bounded message.
func checkParseError(t *testing.T, in string, err error) {
	t.Helper()
	var pe *ParseError
	if !errors.As(err, &pe) {
		t.Fatalf("Parse(%q) error %T, want *ParseError", in, err)
	}
	if pe.Reason == "" || pe.Hint == "" {
		t.Fatalf("Parse(%q) error %#v has no reason or hint", in, pe)
	}
	msg := err.Error()
	if !strings.HasPrefix(msg, "invalid target \"") {
		t.Fatalf("Parse(%q) error %q does not start with `invalid target \"`", in, msg)
	}
	if !utf8.ValidString(msg) {
		t.Fatalf("Parse(%q) error %q is not valid UTF-8", in, msg)
	}
	if len(msg) > 1024 {
		t.Fatalf("Parse(%q) error is %d bytes long", in, len(msg))
	}
	for _, r := range msg {
		if r < 0x20 || r == 0x7f || (r >= 0x80 && r < 0xa0) {
			t.Fatalf("Parse(%q) error %q contains control character %U", in, msg, r)
		}
	}
}

// trailingComment finds the start of a trailing comment: white space then '#'.
var trailingComment = regexp.MustCompile(`[ \t]#`)

func FuzzReadList(f *testing.F) {
	f.Add([]byte("# list\n\nexample.com\r\n  [::1]:8443  \n"))
	f.Add([]byte("\uFEFFa\n#b\n\n\tc # d\r\n\x00"))
	f.Add([]byte("\n\n\n"))
	f.Fuzz(func(t *testing.T, in []byte) {
		var got []entry
		err := ReadList(bytes.NewReader(in), func(line int, raw string) error {
			got = append(got, entry{line, raw})
			return nil
		})
		if err != nil {
			t.Fatalf("ReadList error = %v", err)
		}

		// A straightforward reference: split the whole input.
		var want []entry
		lines := strings.Split(string(in), "\n")
		if lines[len(lines)-1] == "" {
			lines = lines[:len(lines)-1]
		}
		for i, l := range lines {
			long := len(l) > MaxLineBytes
			if long {
				l = l[:MaxLineBytes]
			}
			if i == 0 {
				l = strings.TrimPrefix(l, utf8BOM)
			}
			tl := strings.TrimSpace(l)
			switch {
			case tl == "" && !long, strings.HasPrefix(tl, "#"):
			case long:
				want = append(want, entry{i + 1, l})
			default:
				// A '#' after a space or tab starts a trailing comment.
				if loc := trailingComment.FindStringIndex(tl); loc != nil {
					tl = strings.TrimSpace(tl[:loc[0]])
				}
				want = append(want, entry{i + 1, tl})
			}
		}
		if len(got) != len(want) {
			t.Fatalf("ReadList gave %d entries, want %d:\n got %+v\nwant %+v", len(got), len(want), got, want)
		}
		for i := range got {
			if got[i] != want[i] {
				t.Fatalf("entry %d = %+v, want %+v", i, got[i], want[i])
			}
			// Whatever ReadList passes on, Parse must handle.
			if _, err := Parse(got[i].raw); err != nil {
				checkParseError(t, got[i].raw, err)
			}
		}
	})
}

// FuzzRedact checks that Redact never returns the password of a
// "user:password@" it was given, whatever surrounds it, and that it leaves a
// string without '@' alone. The password is anything a URL's userinfo can
// hold before percent-encoding except '/', '?' and '#', which end a URL's
// authority.
func FuzzRedact(f *testing.F) {
	f.Add("https://", "user", "s3cret", "example.com/x")
	f.Add("https:/", "u", "pw", "h")
	f.Add("", "", "a:b@c", "h:443")
	f.Add("htps//", "u", "s3 cret", "\xff")
	f.Add("x://y://", "u", "p@ss", "@h")
	f.Fuzz(func(t *testing.T, prefix, user, pass, rest string) {
		if pass == "" || strings.ContainsAny(pass, "/?#") || strings.ContainsAny(user, ":/?#@") {
			t.Skip()
		}
		in := prefix + user + ":" + pass + "@" + rest
		got := Redact(in)
		// The password may appear in what surrounds it, or be made of the
		// replacement text: only a copy that came from it counts.
		if strings.Contains(got, pass) && !strings.Contains(prefix+user+":"+redacted+"@"+rest, pass) {
			t.Fatalf("Redact(%q) = %q repeats the password %q", in, got, pass)
		}
		if s := prefix + rest; !strings.Contains(s, "@") && Redact(s) != s {
			t.Fatalf("Redact(%q) = %q changed a string without '@'", s, Redact(s))
		}
	})
}
