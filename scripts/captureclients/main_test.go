package main

import (
	"bytes"
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/certgate/certgate/pkg/clients"
	"github.com/certgate/certgate/pkg/tlswire"
)

// TestReadHello reads ClientHellos in one record, split over records, and
// rejects what is not one.
func TestReadHello(t *testing.T) {
	small, err := tlswire.Build(tlswire.Spec{ServerName: "a.test", CipherSuites: []uint16{0x1301},
		Groups: []uint16{tlswire.GroupX25519}})
	if err != nil {
		t.Fatal(err)
	}
	big := *small
	big.Extensions = append(append([]tlswire.Extension(nil), small.Extensions...),
		tlswire.Extension{Type: tlswire.ExtPadding, Data: make([]byte, 20000)})
	one, err := small.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	two, err := big.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name    string
		in      []byte
		want    []byte
		wantErr bool
	}{
		{"one record", append(append([]byte{}, one...), "more bytes the reader leaves"...), one, false},
		{"two records", two, two, false},
		{"plain HTTP", []byte("GET / HTTP/1.1\r\n\r\n"), nil, true},
		{"cut short", one[:len(one)-3], nil, true},
		{"two messages in the record", recordWith(one, []byte{20, 0, 0, 0}), nil, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := readHello(bytes.NewReader(tc.in))
			if (err != nil) != tc.wantErr {
				t.Fatalf("error %v, want error %v", err, tc.wantErr)
			}
			if !bytes.Equal(got, tc.want) {
				t.Errorf("read %d bytes, want %d", len(got), len(tc.want))
			}
		})
	}
}

// recordWith appends extra bytes to the single handshake record rec.
func recordWith(rec, extra []byte) []byte {
	out := append(append([]byte{}, rec...), extra...)
	n := len(out) - 5
	out[3], out[4] = byte(n>>8), byte(n)
	return out
}

// TestCaptureGo records Go's own crypto/tls client on loopback, the one
// client this tool runs in-process.
func TestCaptureGo(t *testing.T) {
	var goClient client
	for _, c := range otherClients() {
		if c.family == "go" {
			goClient = c
		}
	}
	full, major, err := goClient.version()
	if err != nil {
		t.Fatal(err)
	}
	p, err := capture(goClient, "go-"+major, full, 30*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	if p.SNI != sni || p.Decoded.Versions[0] != "TLS 1.3" || p.Limits != nil {
		t.Errorf("profile %+v", p)
	}
	h, err := tlswire.ParseClientHello(p.Recorded())
	if err != nil {
		t.Fatal(err)
	}
	if sn, _ := h.Extension(tlswire.ExtServerName); !strings.HasSuffix(string(sn), sni) {
		t.Errorf("recorded server_name %q, want %s", sn, sni)
	}
	if d, err := clients.Decode(p.Recorded()); err != nil || d.JA3 != p.Decoded.JA3 {
		t.Errorf("decoded again: %v, JA3 %q vs %q", err, d.JA3, p.Decoded.JA3)
	}
}

// TestCommandStops checks that a client still running when the context
// ends is killed.
func TestCommandStops(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- command(ctx, nil, "sleep", "600") }()
	cancel()
	if err := <-done; !errors.Is(err, context.Canceled) {
		t.Errorf("command returned %v, want the context's error", err)
	}
}
