package runner

import (
	"context"
	"crypto/tls"
	"strconv"
	"testing"
	"time"

	"github.com/certgate/certgate/internal/starttlsfake"
	"github.com/certgate/certgate/internal/testpki"
	"github.com/certgate/certgate/pkg/probe"
	"github.com/certgate/certgate/pkg/result"
	"github.com/certgate/certgate/pkg/truststore"
)

// TestStartTLSEveryAddress: a STARTTLS target is upgraded at every address
// of its host name, and an address that refuses the upgrade fails the
// target while the others pass.
func TestStartTLSEveryAddress(t *testing.T) {
	root := testpki.NewRoot(t, "Mail Root")
	cert := root.Leaf(t, testpki.DNS("mx.test")).TLSCert()
	cfg := &tls.Config{Certificates: []tls.Certificate{cert}}
	port, lns := listenSamePort(t, "127.0.0.1", "127.0.0.2")
	starttlsfake.StartOn(t, lns[0], starttlsfake.Config{Proto: "smtp", TLS: cfg})
	starttlsfake.StartOn(t, lns[1], starttlsfake.Config{Proto: "smtp", Mode: starttlsfake.Refused, TLS: cfg})
	conf := Config{Stores: []*truststore.Store{loadStore(t, root)}, At: testpki.Epoch, WarnDays: 30, Concurrency: 2,
		Probe: probe.Options{Timeout: 5 * time.Second, DNS: hostsDNS(map[string][]string{"mx.test": {"127.0.0.1", "127.0.0.2"}})}}
	r := Check(context.Background(), Input{Raw: "smtp://mx.test:" + strconv.Itoa(port)}, conf)
	if r.StartTLS != "smtp" || r.Status != result.StatusError || r.Code != result.CodeHandshake || r.Address != hostPort("127.0.0.2", port) {
		t.Fatalf("result %s %d at %s (starttls %q): %s", r.Status, r.Code, r.Address, r.StartTLS, r.Detail)
	}
	if len(r.Addresses) != 2 || r.Addresses[0].Status != result.StatusOK || r.Addresses[1].Status != result.StatusError {
		t.Fatalf("addresses %+v, want the first ok and the second an error", r.Addresses)
	}
	found := false
	for _, p := range r.Problems {
		found = found || p.ID == result.ProblemStartTLSRefused
	}
	if !found {
		t.Errorf("problems %+v lack starttls-refused", r.Problems)
	}
}
