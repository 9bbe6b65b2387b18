package main

import (
	"crypto/tls"
	"net"
	"strings"
	"testing"

	"github.com/certgate/certgate/internal/starttlsfake"
	"github.com/certgate/certgate/internal/testpki"
	"github.com/certgate/certgate/pkg/result"
	"github.com/certgate/certgate/pkg/starttls"
)

// TestCheckStartTLSLikeHTTPS: a chain served after each STARTTLS upgrade
// gets exactly the verdict it gets over implicit TLS, and the result names
// the protocol.
func TestCheckStartTLSLikeHTTPS(t *testing.T) {
	p := newPKI(t, "Mail")
	e := testpki.Epoch
	certs := []struct {
		name string
		leaf *testpki.Leaf
	}{
		{"ok", p.inter.Leaf(t)},
		{"expired", p.inter.Leaf(t, testpki.Validity(e.AddDate(-1, 0, 0), e.AddDate(0, 0, -3)))},
		{"wrong host", p.inter.Leaf(t, testpki.DNS("other.test"))},
	}
	for _, c := range certs {
		cfg := &tls.Config{Certificates: []tls.Certificate{c.leaf.TLSCert(p.inter.Cert)}}
		httpsTarget, resolve := hostTarget(testpki.Serve(t, cfg), "example.test")
		_, base, _ := jsonResults(t, "--store", p.store, resolve, httpsTarget)
		if len(base) != 1 {
			t.Fatalf("%s over https: %d results", c.name, len(base))
		}
		for _, proto := range starttls.Protocols() {
			t.Run(c.name+"/"+proto, func(t *testing.T) {
				addr := starttlsfake.Start(t, starttlsfake.Config{Proto: proto, TLS: cfg})
				_, port, _ := net.SplitHostPort(addr)
				scheme, query := proto, ""
				if proto == starttls.PostgresDirect {
					scheme, query = "postgres", "/?sslnegotiation=direct"
				}
				tgt := scheme + "://example.test:" + port + query
				code, rs, stderr := jsonResults(t, "--store", p.store, "--resolve=example.test:"+port+":127.0.0.1", tgt)
				if len(rs) != 1 {
					t.Fatalf("%d results; stderr %s", len(rs), stderr)
				}
				r := rs[0]
				if r.Status != base[0].Status || r.Code != base[0].Code || strings.Join(problemIDs(r), ",") != strings.Join(problemIDs(base[0]), ",") {
					t.Errorf("%s: %s %d %v; over https: %s %d %v", tgt, r.Status, r.Code, problemIDs(r), base[0].Status, base[0].Code, problemIDs(base[0]))
				}
				if r.StartTLS != proto {
					t.Errorf("starttls %q, want %q", r.StartTLS, proto)
				}
				if wantExit := map[bool]int{true: 0, false: 1}[r.Status == result.StatusOK]; code != wantExit {
					t.Errorf("exit %d, want %d", code, wantExit)
				}
			})
		}
	}
}

// TestCheckStartTLSFlag: --starttls upgrades host:port targets, and a
// target without a port gets the protocol's; --xmpp-domain sets the
// stream's domain.
func TestCheckStartTLSFlag(t *testing.T) {
	p := newPKI(t, "Flag")
	cfg := &tls.Config{Certificates: []tls.Certificate{p.inter.Leaf(t).TLSCert(p.inter.Cert)}}
	smtpAddr := starttlsfake.Start(t, starttlsfake.Config{Proto: "smtp", TLS: cfg})
	_, port, _ := net.SplitHostPort(smtpAddr)
	code, rs, stderr := jsonResults(t, "--store", p.store, "--starttls", "smtp", "--resolve=example.test:"+port+":127.0.0.1", "example.test:"+port)
	if code != 0 || len(rs) != 1 || rs[0].Status != result.StatusOK || rs[0].StartTLS != "smtp" {
		t.Fatalf("--starttls smtp: exit %d, %+v; stderr %s", code, rs, stderr)
	}
	// No port: the protocol's own (25), which nothing here serves.
	_, rs, _ = jsonResults(t, "--store", p.store, "--starttls", "smtp", "--timeout", "2s", "--resolve=example.test:25:127.0.0.1", "example.test")
	if len(rs) != 1 || rs[0].Port != 25 {
		t.Fatalf("--starttls smtp without a port: %+v", rs)
	}

	xmppAddr := starttlsfake.Start(t, starttlsfake.Config{Proto: "xmpp", TLS: cfg, Domain: "chat.test"})
	_, port, _ = net.SplitHostPort(xmppAddr)
	args := []string{"--store", p.store, "--resolve=example.test:" + port + ":127.0.0.1", "xmpp://example.test:" + port}
	_, rs, _ = jsonResults(t, args...)
	if len(rs) != 1 || rs[0].Code != result.CodeHandshake || !hasProblem(rs[0], result.ProblemStartTLSRefused, result.SeverityError) {
		t.Fatalf("xmpp without --xmpp-domain: %+v", rs)
	}
	_, rs, _ = jsonResults(t, append([]string{"--xmpp-domain", "chat.test"}, args...)...)
	if len(rs) != 1 || rs[0].Status != result.StatusOK {
		t.Fatalf("xmpp with --xmpp-domain: %+v", rs)
	}
}

// TestCheckStartTLSFailures: every failure of a dialogue is error 11220
// with its own problem id, whose message quotes the server.
func TestCheckStartTLSFailures(t *testing.T) {
	cfg := &tls.Config{Certificates: []tls.Certificate{testpki.SelfSigned(t).TLSCert()}}
	for _, c := range []struct {
		mode starttlsfake.Mode
		id   string
		says string
	}{
		{starttlsfake.NotOffered, result.ProblemStartTLSNotOffered, "does not offer STARTTLS"},
		{starttlsfake.Refused, result.ProblemStartTLSRefused, `"454 4.7.0 TLS not available`},
		{starttlsfake.Garbage, result.ProblemStartTLSProtocol, `"HTTP/1.1 400 Bad Request"`},
		{starttlsfake.Stall, result.ProblemStartTLSProtocol, "did not answer in time"},
		{starttlsfake.Huge, result.ProblemStartTLSProtocol, "byte limit"},
	} {
		t.Run(c.mode.String(), func(t *testing.T) {
			addr := starttlsfake.Start(t, starttlsfake.Config{Proto: "smtp", Mode: c.mode, TLS: cfg})
			code, rs, _ := jsonResults(t, "--timeout", "1s", "smtp://"+addr)
			if code != 1 || len(rs) != 1 {
				t.Fatalf("exit %d, %d results", code, len(rs))
			}
			r := rs[0]
			if r.Status != result.StatusError || r.Code != result.CodeHandshake || !hasProblem(r, c.id, result.SeverityError) || !strings.Contains(r.Detail, c.says) {
				t.Errorf("%s %d %v: %s; want error 11220 %s saying %s", r.Status, r.Code, problemIDs(r), r.Detail, c.id, c.says)
			}
		})
	}
}

func TestStartTLSUsageErrors(t *testing.T) {
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"check", "--starttls", "gopher", "example.test"}, `--starttls: "gopher" is not a STARTTLS protocol (use one of ftp, imap, ldap, lmtp, mysql, nntp, pop3, postgres, postgres-direct, sieve, smtp, xmpp, xmpp-server)`},
		{[]string{"check", "--xmpp-domain", "chat.test:5222", "xmpp://example.test"}, `--xmpp-domain: "chat.test:5222" is not a domain name`},
	} {
		code, _, stderr := cli(t, "", c.args...)
		if code != 2 || !strings.Contains(stderr, c.want) {
			t.Errorf("%v: exit %d, stderr %q; want 2 and %q", c.args, code, stderr, c.want)
		}
	}
}

func TestStartTLSCompletion(t *testing.T) {
	for _, c := range []struct {
		args []string
		want []string
	}{
		{[]string{"__complete", "check", "--starttls", ""}, []string{"smtp", "imap", "postgres", "mysql", "xmpp-server"}},
		{[]string{"__complete", "check", "sm"}, []string{"smtp://", "smtps://"}},
		{[]string{"__complete", "check", ""}, []string{"https://", "submission://", "ldap://", "postgresql://"}},
	} {
		_, out, _ := cli(t, "", c.args...)
		for _, w := range c.want {
			if !strings.Contains(out, w+"\n") {
				t.Errorf("%v: completions %q lack %q", c.args, out, w)
			}
		}
	}
}
