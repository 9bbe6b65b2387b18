package oracle_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/certgate/certgate/internal/oracle"
	"github.com/certgate/certgate/internal/testpki"
	"github.com/certgate/certgate/pkg/probe"
	"github.com/certgate/certgate/pkg/result"
	"github.com/certgate/certgate/pkg/target"
)

// TestCertificateMessageLimit proves against the real JDK client the limit
// certgate applies to a chain Go's client accepts: a Certificate message
// larger than jdk.tls.maxHandshakeMessageSize (32 KiB) fails the Java
// handshake, so certgate's check with the default sender clients is 11220
// too; a normal chain passes both.
func TestCertificateMessageLimit(t *testing.T) {
	now := time.Now()
	root := testpki.NewRoot(t, "Limit Root", testpki.Validity(now.AddDate(-5, 0, 0), now.AddDate(10, 0, 0)))
	many := []string{"host.test"}
	for i := range 2000 {
		many = append(many, fmt.Sprintf("name-%05d.limits.test", i))
	}
	senders, err := probe.SenderClients()
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		name  string
		names []string
	}{
		{"one name", []string{"host.test"}},
		{"2,001 names, a 50 KB Certificate message", many},
	} {
		t.Run(c.name, func(t *testing.T) {
			leaf := root.Leaf(t, testpki.Validity(now.AddDate(0, 0, -30), now.AddDate(0, 0, 60)), testpki.DNS(c.names...))
			addr := testpki.ServeCert(t, leaf, root.Cert)
			java := oracle.Java(t, addr, "host.test", root.Cert)
			tg, err := target.Parse(addr)
			if err != nil {
				t.Fatal(err)
			}
			obs := probe.Probe(context.Background(), tg, probe.Options{Timeout: 10 * time.Second, Clients: senders})
			certgateOK := obs.Err == nil
			if certgateOK != java.Trusted {
				t.Fatalf("certgate's handshake passes: %v (%+v); the JDK client: %s", certgateOK, obs.Err, java)
			}
			if !java.Trusted && (java.Code != result.CodeHandshake || obs.Err.Code != result.CodeHandshake) {
				t.Errorf("codes: the JDK client %s, certgate %d, want both %d", java, obs.Err.Code, result.CodeHandshake)
			}
		})
	}
}
