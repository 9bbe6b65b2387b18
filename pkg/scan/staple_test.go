package scan_test

import (
	"bytes"
	"encoding/asn1"
	"os"
	"path/filepath"
	"testing"
	"time"

	"golang.org/x/crypto/ocsp"

	"github.com/certgate/certgate/internal/testpki"
	"github.com/certgate/certgate/internal/tlsservers"
	"github.com/certgate/certgate/pkg/clients"
	"github.com/certgate/certgate/pkg/scan"
)

// TestScanStapleMustStapleSCTs: openssl s_server staples an OCSP response
// made here for a must-staple leaf with two embedded SCTs; the scan reports
// the staple (and returns its bytes), must-staple and the SCT count.
func TestScanStapleMustStapleSCTs(t *testing.T) {
	dir := t.TempDir()
	mustStaple, _ := asn1.Marshal([]int{5})
	sctList := []byte{0, 8, 0, 2, 0xaa, 0xbb, 0, 2, 0xcc, 0xdd}
	sctExt, _ := asn1.Marshal(sctList)
	c := tlsservers.MakeCerts(t, dir, testpki.RSA(2048),
		testpki.Extension(asn1.ObjectIdentifier{1, 3, 6, 1, 5, 5, 7, 1, 24}, false, mustStaple),
		testpki.Extension(asn1.ObjectIdentifier{1, 3, 6, 1, 4, 1, 11129, 2, 4, 2}, false, sctExt))
	resp, err := ocsp.CreateResponse(c.Root, c.Root, ocsp.Response{
		Status: ocsp.Good, SerialNumber: c.Leaf.SerialNumber,
		ThisUpdate: time.Now().Add(-time.Hour), NextUpdate: time.Now().Add(24 * time.Hour),
	}, c.CA.Key)
	if err != nil {
		t.Fatal(err)
	}
	staple := filepath.Join(dir, "ocsp.der")
	if err := os.WriteFile(staple, resp, 0o600); err != nil {
		t.Fatal(err)
	}
	srv := tlsservers.StartOpenSSLCerts(t, c, "-tls1_2", "-status_file", staple)
	r := scanAddr(t, srv, scan.Options{Concurrency: 4, Clients: []*clients.Profile{}})
	f := r.Scan.Features
	if !f.OCSPStapling || !bytes.Equal(r.OCSPStaple, resp) {
		t.Errorf("ocsp_stapling %v, staple %d bytes; want the %d bytes served", f.OCSPStapling, len(r.OCSPStaple), len(resp))
	}
	if !f.MustStaple || f.SCTs.Certificate != 2 {
		t.Errorf("must_staple %v, SCTs in the certificate %d; want true, 2", f.MustStaple, f.SCTs.Certificate)
	}

	plain := tlsservers.StartOpenSSL(t, "-tls1_2")
	r = scanAddr(t, plain, scan.Options{Concurrency: 4, Clients: []*clients.Profile{}})
	if f := r.Scan.Features; f.OCSPStapling || r.OCSPStaple != nil || f.MustStaple || f.SCTs.Certificate != 0 {
		t.Errorf("a plain server: %+v, staple %d bytes; want no staple, must-staple or SCT", f, len(r.OCSPStaple))
	}
}
