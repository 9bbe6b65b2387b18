package scan_test

import (
	"encoding/binary"
	"encoding/pem"
	"os"
	"path/filepath"
	"testing"

	"github.com/certgate/certgate/internal/tlsservers"
	"github.com/certgate/certgate/pkg/clients"
	"github.com/certgate/certgate/pkg/scan"
)

// sctListExtension is a signed_certificate_timestamp extension (type 18)
// carrying n SCTs. The scan counts SCTs and does not verify them: each is
// a few arbitrary bytes.
func sctListExtension(n int) []byte {
	var list []byte
	for i := range n {
		sct := []byte{0, byte(i), 0xaa, 0xbb, 0xcc}
		list = binary.BigEndian.AppendUint16(list, uint16(len(sct)))
		list = append(list, sct...)
	}
	data := binary.BigEndian.AppendUint16(nil, uint16(len(list)))
	data = append(data, list...)
	ext := binary.BigEndian.AppendUint16(nil, 18)
	ext = binary.BigEndian.AppendUint16(ext, uint16(len(data)))
	return append(ext, data...)
}

// TestScanTLSExtensionSCTs: SCTs the server sends in the TLS extension
// (openssl s_server -serverinfo) are counted: in the TLS 1.2 ServerHello
// (a SERVERINFO block) and in the TLS 1.3 leaf's certificate entry (a
// SERVERINFOV2 block with the Certificate context, 0x1000); a server that
// sends none counts none.
func TestScanTLSExtensionSCTs(t *testing.T) {
	tests := []struct {
		name  string
		block *pem.Block
		args  []string
		want  int
	}{
		{"TLS 1.2 ServerHello", &pem.Block{Type: "SERVERINFO FOR CT", Bytes: sctListExtension(3)}, []string{"-tls1_2"}, 3},
		{"TLS 1.3 certificate entry", &pem.Block{Type: "SERVERINFOV2 FOR CT", Bytes: append([]byte{0, 0, 0x10, 0}, sctListExtension(2)...)}, []string{"-tls1_3"}, 2},
		{"none", nil, []string{"-tls1_2"}, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			args := tt.args
			if tt.block != nil {
				file := filepath.Join(t.TempDir(), "serverinfo.pem")
				if err := os.WriteFile(file, pem.EncodeToMemory(tt.block), 0o600); err != nil {
					t.Fatal(err)
				}
				args = append(args, "-serverinfo", file)
			}
			srv := tlsservers.StartOpenSSL(t, args...)
			r := scanAddr(t, srv, scan.Options{Concurrency: 4, Clients: []*clients.Profile{}})
			if got := r.Scan.Features.SCTs; got.TLS != tt.want || got.Certificate != 0 {
				t.Errorf("SCTs %+v, want %d from the TLS extension and none in the certificate", got, tt.want)
			}
		})
	}
}
