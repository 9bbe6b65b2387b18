package proxy_test

import (
	"net/url"
	"strings"
	"testing"

	"github.com/certgate/certgate/pkg/proxy"
)

// FuzzParseURL checks that any HTTPS_PROXY or --proxy value either parses to
// an http URL with a host and port or gives an error, never a panic, and that
// an error never shows a password that url.Parse finds.
func FuzzParseURL(f *testing.F) {
	for _, s := range []string{"proxy.example:3128", "http://u:secret@proxy.example:8080", "socks5://h:1", "http://[::1]:3128", "", "http://:80", "%zz", "http://u:secret@/"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		u, err := proxy.ParseURL(s)
		if err != nil {
			// A password that url.Parse finds must not appear in the error.
			if raw, perr := url.Parse(s); perr == nil && raw.User != nil {
				pw, _ := raw.User.Password()
				if len(pw) >= 4 && !strings.Contains(raw.Host+raw.User.Username()+raw.Scheme, pw) && strings.Contains(err.Error(), pw) {
					t.Errorf("error %q shows the password %q", err, pw)
				}
			}
			return
		}
		if u.Scheme != "http" && u.Scheme != "HTTP" && !strings.EqualFold(u.Scheme, "http") {
			t.Errorf("ParseURL(%q) scheme %q", s, u.Scheme)
		}
		if u.Hostname() == "" || u.Port() == "" {
			t.Errorf("ParseURL(%q) = %v: no host or port", s, u)
		}
		if _, err := proxy.New(proxy.Config{HTTPSProxy: s}, nil); err != nil {
			t.Errorf("New(%q) = %v after ParseURL succeeded", s, err)
		}
	})
}
