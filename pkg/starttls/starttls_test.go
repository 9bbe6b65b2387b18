package starttls_test

import (
	"context"
	"crypto/tls"
	"errors"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/certgate/certgate/internal/starttlsfake"
	"github.com/certgate/certgate/internal/testpki"
	"github.com/certgate/certgate/pkg/starttls"
)

// serverTLS is a TLS configuration with a test certificate for fake.test.
func serverTLS(t *testing.T) *tls.Config {
	leaf := testpki.SelfSigned(t, testpki.DNS("fake.test"))
	return &tls.Config{Certificates: []tls.Certificate{leaf.TLSCert()}}
}

// dialogues are the protocols with a dialogue (all but postgres-direct).
func dialogues() []string {
	var out []string
	for _, p := range starttls.Protocols() {
		if p != starttls.PostgresDirect {
			out = append(out, p)
		}
	}
	return out
}

// TestUpgrade runs every dialect against its fake server in every mode:
// the happy path ends in a completed TLS handshake, every failure in its
// own kind, and none hangs past the deadline or reads past the byte limit.
func TestUpgrade(t *testing.T) {
	cfg := serverTLS(t)
	for _, proto := range dialogues() {
		for _, mode := range starttlsfake.Modes() {
			t.Run(proto+"/"+mode.String(), func(t *testing.T) {
				t.Parallel()
				addr := starttlsfake.Start(t, starttlsfake.Config{Proto: proto, Mode: mode, TLS: cfg})
				timeout := 5 * time.Second
				if mode == starttlsfake.Stall {
					timeout = 300 * time.Millisecond
				}
				ctx, cancel := context.WithTimeout(context.Background(), timeout)
				defer cancel()
				conn, err := net.Dial("tcp", addr)
				if err != nil {
					t.Fatal(err)
				}
				defer conn.Close()
				err = starttls.Upgrade(ctx, conn, proto, starttls.Options{Host: "fake.test", MaxBytes: 16 << 10})
				if mode == starttlsfake.OK {
					if err != nil {
						t.Fatalf("Upgrade: %v", err)
					}
					tc := tls.Client(conn, &tls.Config{ServerName: "fake.test", InsecureSkipVerify: true})
					if err := tc.HandshakeContext(ctx); err != nil {
						t.Fatalf("TLS handshake after the upgrade: %v", err)
					}
					if got := tc.ConnectionState().PeerCertificates[0].DNSNames; len(got) != 1 || got[0] != "fake.test" {
						t.Errorf("certificate names %v", got)
					}
					return
				}
				var se *starttls.Error
				if !errors.As(err, &se) {
					t.Fatalf("Upgrade error %v (%T) is not a *starttls.Error", err, err)
				}
				want := map[starttlsfake.Mode]starttls.Kind{
					starttlsfake.NotOffered: starttls.KindNotOffered,
					starttlsfake.Refused:    starttls.KindRefused,
					starttlsfake.Garbage:    starttls.KindProtocol,
					starttlsfake.Stall:      starttls.KindProtocol,
					starttlsfake.Huge:       starttls.KindProtocol,
				}[mode]
				if se.Kind != want {
					t.Errorf("kind %v, want %v: %v", se.Kind, want, err)
				}
				switch mode {
				case starttlsfake.Stall:
					if !strings.Contains(err.Error(), "did not answer in time") {
						t.Errorf("stall: %v", err)
					}
				case starttlsfake.Refused:
					// MySQL's and PostgreSQL's fakes turn the session away
					// (too many connections), the others refuse the upgrade.
					session := proto == starttls.MySQL || proto == starttls.Postgres
					if got := strings.Contains(err.Error(), "turned the session away"); got != session {
						t.Errorf("refusal: %v", err)
					}
				case starttlsfake.Huge:
					if proto != starttls.Postgres && !errors.Is(err, starttls.ErrTooLarge) {
						t.Errorf("huge reply: %v, want ErrTooLarge", err)
					}
				}
				msg := err.Error()
				if strings.ContainsAny(msg, "\r\n\x00") || len(msg) > 600 {
					t.Errorf("message not sanitised or too long (%d bytes): %q", len(msg), msg)
				}
			})
		}
	}
}

// TestXMPPDomain: the stream's "to" is Options.Domain when set, else Host;
// a server that does not host the domain refuses the stream.
func TestXMPPDomain(t *testing.T) {
	addr := starttlsfake.Start(t, starttlsfake.Config{Proto: "xmpp", TLS: serverTLS(t), Domain: "chat.test"})
	for _, tc := range []struct {
		name string
		opts starttls.Options
		ok   bool
	}{
		{"host only", starttls.Options{Host: "xmpp.chat.test"}, false},
		{"domain", starttls.Options{Host: "xmpp.chat.test", Domain: "chat.test"}, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			conn, err := net.Dial("tcp", addr)
			if err != nil {
				t.Fatal(err)
			}
			defer conn.Close()
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			defer cancel()
			err = starttls.Upgrade(ctx, conn, "xmpp", tc.opts)
			var se *starttls.Error
			switch {
			case tc.ok && err != nil:
				t.Fatalf("Upgrade: %v", err)
			case !tc.ok && (!errors.As(err, &se) || se.Kind != starttls.KindRefused || !strings.Contains(err.Error(), "host-unknown") || !strings.Contains(err.Error(), `does not serve the domain "xmpp.chat.test"`) || !strings.Contains(err.Error(), "--xmpp-domain")):
				t.Fatalf("Upgrade: %v, want a refusal naming host-unknown, the domain and --xmpp-domain", err)
			}
		})
	}
}

// TestXMPPStreamKind: a port that answers a client stream with a
// server-to-server stream (or the reverse), as Prosody does instead of a
// stream error, is a protocol error that names the scheme to use, not an
// upgrade of the wrong service.
func TestXMPPStreamKind(t *testing.T) {
	cfg := serverTLS(t)
	for _, tc := range []struct {
		client, server string
		wantFix        string // "" means the upgrade succeeds
	}{
		{"xmpp", "xmpp", ""},
		{"xmpp-server", "xmpp-server", ""},
		{"xmpp", "xmpp-server", "check it as xmpp-server://"},
		{"xmpp-server", "xmpp", "check it as xmpp://"},
	} {
		t.Run(tc.client+" to "+tc.server, func(t *testing.T) {
			addr := starttlsfake.Start(t, starttlsfake.Config{Proto: tc.server, TLS: cfg})
			conn, err := net.Dial("tcp", addr)
			if err != nil {
				t.Fatal(err)
			}
			defer conn.Close()
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			defer cancel()
			err = starttls.Upgrade(ctx, conn, tc.client, starttls.Options{Host: "fake.test"})
			if tc.wantFix == "" {
				if err != nil {
					t.Fatalf("Upgrade: %v", err)
				}
				return
			}
			var se *starttls.Error
			if !errors.As(err, &se) || se.Kind != starttls.KindProtocol || !strings.Contains(se.Fix, tc.wantFix) || !strings.HasSuffix(err.Error(), se.Fix) {
				t.Fatalf("Upgrade: %v, want a protocol error whose next step is to %s", err, tc.wantFix)
			}
		})
	}
}

func TestUnknownProtocol(t *testing.T) {
	a, b := net.Pipe()
	defer a.Close()
	defer b.Close()
	err := starttls.Upgrade(context.Background(), a, "gopher", starttls.Options{})
	var se *starttls.Error
	if err == nil || errors.As(err, &se) || !strings.Contains(err.Error(), "smtp") {
		t.Fatalf("err = %v, want a plain error listing the protocols", err)
	}
}

func TestALPN(t *testing.T) {
	if got := starttls.ALPN(starttls.PostgresDirect); len(got) != 1 || got[0] != "postgresql" {
		t.Errorf("ALPN(postgres-direct) = %v", got)
	}
	if got := starttls.ALPN(starttls.SMTP); got != nil {
		t.Errorf("ALPN(smtp) = %v", got)
	}
}

func TestQuote(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"250 ok\r\n", `"250 ok\r\n"`},
		{"\x1b[31mred", `"\x1b[31mred"`},
		{strings.Repeat("x", 200), `"` + strings.Repeat("x", 120) + `"...`},
		{"ünïcode", `"\u00fcn\u00efcode"`},
	} {
		if got := starttls.Quote([]byte(tc.in)); got != tc.want {
			t.Errorf("Quote(%q) = %s, want %s", tc.in, got, tc.want)
		}
	}
}

// TestIMAPCapabilityRoundTrip: the IMAP dialogue asks for CAPABILITY only
// when the greeting does not already list STARTTLS in its [CAPABILITY]
// code (Dovecot's greeting does): the upgrade then costs the STARTTLS
// round trip alone. A greeting without the code, or whose code lacks
// STARTTLS, is followed by CAPABILITY.
func TestIMAPCapabilityRoundTrip(t *testing.T) {
	cfg := serverTLS(t)
	tests := []struct {
		name     string
		fake     starttlsfake.Config
		wantCmds []string
		wantKind *starttls.Kind
	}{
		{"greeting lists STARTTLS", starttlsfake.Config{}, []string{"a2 STARTTLS"}, nil},
		{"bare greeting", starttlsfake.Config{BareGreeting: true}, []string{"a1 CAPABILITY", "a2 STARTTLS"}, nil},
		{"greeting without STARTTLS", starttlsfake.Config{Mode: starttlsfake.NotOffered}, []string{"a1 CAPABILITY"}, new(starttls.KindNotOffered)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cmds := make(chan string, 10)
			fake := tt.fake
			fake.Proto, fake.TLS = starttls.IMAP, cfg
			fake.OnCommand = func(l string) { cmds <- l }
			addr := starttlsfake.Start(t, fake)
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			defer cancel()
			conn, err := net.Dial("tcp", addr)
			if err != nil {
				t.Fatal(err)
			}
			defer conn.Close()
			err = starttls.Upgrade(ctx, conn, starttls.IMAP, starttls.Options{Host: "fake.test"})
			var se *starttls.Error
			switch {
			case tt.wantKind == nil && err != nil:
				t.Fatalf("Upgrade: %v", err)
			case tt.wantKind != nil && (!errors.As(err, &se) || se.Kind != *tt.wantKind):
				t.Fatalf("Upgrade: %v, want kind %v", err, *tt.wantKind)
			case err == nil:
				tc := tls.Client(conn, &tls.Config{ServerName: "fake.test", InsecureSkipVerify: true})
				if err := tc.HandshakeContext(ctx); err != nil {
					t.Fatalf("TLS handshake after the upgrade: %v", err)
				}
			}
			conn.Close()
			var got []string
			for len(got) < len(tt.wantCmds) {
				select {
				case l := <-cmds:
					got = append(got, l)
				case <-ctx.Done():
					t.Fatalf("commands %q, want %q", got, tt.wantCmds)
				}
			}
			if strings.Join(got, "|") != strings.Join(tt.wantCmds, "|") || len(cmds) != 0 {
				t.Errorf("commands %q (and %d more), want %q", got, len(cmds), tt.wantCmds)
			}
		})
	}
}
