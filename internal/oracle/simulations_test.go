package oracle_test

import (
	"context"
	"crypto/x509"
	"net"
	"testing"
	"time"

	"github.com/certgate/certgate/internal/oracle"
	"github.com/certgate/certgate/internal/testpki"
	"github.com/certgate/certgate/pkg/clients"
	"github.com/certgate/certgate/pkg/result"
	"github.com/certgate/certgate/pkg/scan"
)

// TestSimulationsAgree runs the real clients the recorded profiles were
// captured from (openssl s_client, curl, gnutls-cli, Node.js, Python's ssl,
// Go's crypto/tls, and the JDKs 17 and newest) against a few servers on
// loopback that tell their limits apart, and requires certgate to say what
// each real client did:
//
//   - certgate scan's client simulation of the profile connects exactly
//     when the real client does, at the same protocol;
//   - certgate check --client PROFILE fails the handshake (11220) exactly
//     when the real client does.
//
// The servers cover TLS 1.0 and 1.1 with ECDHE, DHE and RSA key transport
// (OpenSSL 3 refuses the MD5+SHA-1 and SHA-1 ServerKeyExchange signatures
// of TLS 1.1 and older, GnuTLS does not), SHA-1 handshake signatures at TLS
// 1.2, a 1024-bit DH group, and a default server everyone connects to. A
// client that is not installed is skipped with a message (under
// CERTGATE_REQUIRE_SHARED=1 openssl, curl, gnutls-cli and a JDK are
// required); one of another version than its profile is skipped.
func TestSimulationsAgree(t *testing.T) {
	now := time.Now()
	root := testpki.NewRoot(t, "Simulation Root", testpki.Validity(now.AddDate(-5, 0, 0), now.AddDate(10, 0, 0)))
	current := testpki.Validity(now.AddDate(0, 0, -30), now.AddDate(0, 0, 60))
	rsaLeaf := root.Leaf(t, current, testpki.DNS(handshakeHost), testpki.WithKey(testpki.RSA(2048)),
		testpki.KeyUsage(x509.KeyUsageDigitalSignature|x509.KeyUsageKeyEncipherment))
	ecLeaf := root.Leaf(t, current, testpki.DNS(handshakeHost), testpki.WithKey(testpki.ECDSA(256)))
	dir := t.TempDir()
	dh2048 := dhParams(t, dir, "dh2048.pem", "-pkeyopt", "group:ffdhe2048")
	dh1024 := dhParams(t, dir, "dh1024.pem", "-pkeyopt", "dh_paramgen_prime_len:1024")
	servers := []struct{ name, addr string }{
		{"TLS 1.0 and 1.1, ECDHE, DHE and RSA key exchange", sServer(t, rsaLeaf, "-no_tls1_2", "-no_tls1_3",
			"-cipher", "ECDHE-RSA-AES256-SHA:DHE-RSA-AES256-SHA:AES256-SHA:@SECLEVEL=0", "-dhparam", dh2048)},
		{"TLS 1.0, DHE_RSA only", sServer(t, rsaLeaf, "-tls1", "-cipher", "DHE-RSA-AES256-SHA:@SECLEVEL=0", "-dhparam", dh2048)},
		{"TLS 1.1, ECDHE_ECDSA only", sServer(t, ecLeaf, "-tls1_1", "-cipher", "ECDHE-ECDSA-AES256-SHA:@SECLEVEL=0")},
		{"TLS 1.0, RSA key transport only", sServer(t, rsaLeaf, "-tls1", "-cipher", "AES256-SHA:@SECLEVEL=0")},
		{"TLS 1.2, rsa_pkcs1_sha1 handshake signatures only", sServer(t, rsaLeaf, "-tls1_2",
			"-cipher", "ECDHE-RSA-AES128-GCM-SHA256:@SECLEVEL=0", "-sigalgs", "RSA+SHA1")},
		{"TLS 1.2, DHE with a 1024-bit group", sServer(t, rsaLeaf, "-tls1_2",
			"-cipher", "DHE-RSA-AES128-GCM-SHA256:@SECLEVEL=0", "-dhparam", dh1024)},
		{"OpenSSL defaults (TLS 1.2 and 1.3)", sServer(t, rsaLeaf)},
	}

	var addrs []string
	for _, s := range servers {
		addrs = append(addrs, s.addr)
	}
	all, err := clients.All()
	if err != nil {
		t.Fatal(err)
	}
	// One scan per server, every profile simulated in it.
	start := time.Now()
	defer func() { t.Logf("%d scans in %s", len(servers), time.Since(start).Round(time.Millisecond)) }()
	sims := make([]map[string]result.ClientSimulation, len(servers))
	for i, s := range servers {
		d := net.Dialer{}
		tgt := scan.Target{ServerName: handshakeHost,
			Dial: func(ctx context.Context) (net.Conn, error) { return d.DialContext(ctx, "tcp", s.addr) }}
		r := scan.Run(context.Background(), tgt, scan.Options{Timeout: 10 * time.Second, Concurrency: 4, Clients: all})
		sims[i] = map[string]result.ClientSimulation{}
		for _, c := range r.Scan.Clients {
			sims[i][c.Profile] = c
		}
	}

	// compare fails t unless the simulation and the check of profile
	// agree with the real client at server i.
	compare := func(t *testing.T, i int, profile string, real oracle.Handshake) {
		t.Helper()
		s := servers[i]
		sim, ok := sims[i][profile]
		if !ok {
			t.Fatalf("%s: the scan has no simulation of %s", s.name, profile)
		}
		t.Logf("%s: real client %s; simulation ok=%v %s %s %s", s.name, real, sim.OK, sim.Protocol, sim.CipherSuite, sim.Message)
		switch {
		case sim.OK != real.OK:
			t.Errorf("%s: the real client %s, but the simulation of %s says ok=%v %s %s %s",
				s.name, real, profile, sim.OK, sim.Protocol, sim.CipherSuite, sim.Message)
		case real.OK && real.Protocol != "" && real.Protocol != sim.Protocol:
			t.Errorf("%s: the real client connects with %s, the simulation of %s with %s", s.name, real.Protocol, profile, sim.Protocol)
		}
		p, err := clients.ByName(profile)
		if err != nil {
			t.Fatal(err)
		}
		r := check(t, s.addr, root.Cert, []*clients.Profile{p})
		if refused := r.Code == result.CodeHandshake; refused == real.OK {
			t.Errorf("%s: the real client %s, but certgate check --client %s says %s %d %s", s.name, real, profile, r.Status, r.Code, problemIDs(r))
		}
	}

	for _, c := range oracle.RealClients() {
		t.Run(c.Profile, func(t *testing.T) {
			t.Parallel()
			c.Ready(t)
			for i, h := range c.Handshakes(t, addrs, handshakeHost, root.Cert) {
				compare(t, i, c.Profile, h)
			}
		})
	}
	t.Run("java", func(t *testing.T) {
		t.Parallel()
		for _, j := range oracle.JDKs(t, oracle.JVMDir) {
			t.Run(j.Name(), func(t *testing.T) {
				t.Parallel()
				if _, err := clients.ByName(j.Name()); err != nil {
					t.Skipf("ORACLE NOT RUN: JDK %d has no recorded client (%v)", j.Major, err)
				}
				for i, v := range oracle.JavaEach(t, j, addrs, handshakeHost, root.Cert) {
					real := oracle.Handshake{OK: v.Code != result.CodeHandshake, Detail: v.String()}
					compare(t, i, j.Name(), real)
				}
			})
		}
	})
}
