package main

import (
	"testing"
	"time"
)

func TestParseAt(t *testing.T) {
	now := time.Date(2026, 11, 28, 15, 4, 5, 999_000_000, time.UTC)
	cases := []struct {
		in   string
		want time.Time
		err  bool
	}{
		{"", time.Date(2026, 11, 28, 15, 4, 5, 0, time.UTC), false},
		{"2026-12-01T00:00:00Z", time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC), false},
		{"2026-12-01T02:00:00+02:00", time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC), false},
		{"2024-03-01T00:00:00.999Z", time.Date(2024, 3, 1, 0, 0, 0, 0, time.UTC), false},
		{"2026-12-01", time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC), false},
		{" +30d ", time.Date(2026, 12, 28, 15, 4, 5, 0, time.UTC), false},
		{"+12h", time.Date(2026, 11, 29, 3, 4, 5, 0, time.UTC), false},
		{"-1d", time.Date(2026, 11, 27, 15, 4, 5, 0, time.UTC), false},
		{"+30", time.Time{}, true},
		{"+3w", time.Time{}, true},
		{"tomorrow", time.Time{}, true},
		{"2026-13-01", time.Time{}, true},
		{"+999999d", time.Time{}, true},
	}
	for _, c := range cases {
		got, err := parseAt(c.in, now)
		if (err != nil) != c.err {
			t.Errorf("parseAt(%q) error %v, want error %v", c.in, err, c.err)
			continue
		}
		if !c.err && !got.Equal(c.want) {
			t.Errorf("parseAt(%q) = %s, want %s", c.in, got, c.want)
		}
	}
}

func TestParseResolve(t *testing.T) {
	cases := []struct {
		in   string
		key  string
		addr string
		err  bool
	}{
		{"api.example.com:443:203.0.113.7", "api.example.com:443", "203.0.113.7", false},
		{"API.Example.com:8443:[2001:db8::1]", "api.example.com:8443", "2001:db8::1", false},
		{"api.example.com:443", "", "", true},
		{"api.example.com:0:203.0.113.7", "", "", true},
		{"api.example.com:443:not-an-ip", "", "", true},
		{":443:203.0.113.7", "", "", true},
	}
	for _, c := range cases {
		m, err := parseResolve([]string{c.in})
		if (err != nil) != c.err {
			t.Errorf("parseResolve(%q) error %v, want error %v", c.in, err, c.err)
			continue
		}
		if !c.err && m[c.key] != c.addr {
			t.Errorf("parseResolve(%q) = %v, want %s → %s", c.in, m, c.key, c.addr)
		}
	}
}
