package main

import (
	"bytes"
	"io/fs"
	"os"
	"testing"
	"testing/fstest"
)

// TestTablesAreCurrent: the committed table is what the committed CSV files
// generate (run `go generate ./pkg/tlswire` after replacing them).
func TestTablesAreCurrent(t *testing.T) {
	got, err := Generate(os.DirFS("../../pkg/tlswire/iana").(fs.ReadFileFS))
	if err != nil {
		t.Fatal(err)
	}
	want, err := os.ReadFile("../../pkg/tlswire/iana_tables.go")
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want) {
		t.Error("pkg/tlswire/iana_tables.go is stale: run go generate ./pkg/tlswire")
	}
}

// TestValues: single values are read, ranges and unassigned rows skipped.
func TestValues(t *testing.T) {
	tests := []struct {
		in   string
		f    func(string) (uint16, bool)
		want uint16
		ok   bool
	}{
		{"0xC0,0x2B", parseSuite, 0xc02b, true},
		{"0x00,0x1C-1D", parseSuite, 0, false},
		{"0x01-55,*", parseSuite, 0, false},
		{"0x0403", parseHex, 0x0403, true},
		{"0x0404-0x041F", parseHex, 0, false},
		{"29", parseDecimal, 29, true},
		{"42-255", parseDecimal, 0, false},
	}
	for _, tc := range tests {
		if got, ok := tc.f(tc.in); got != tc.want || ok != tc.ok {
			t.Errorf("%q: %#04x %v, want %#04x %v", tc.in, got, ok, tc.want, tc.ok)
		}
	}
	fsys := fstest.MapFS{
		"tls-parameters-4.csv":    {Data: []byte("Value,Description,DTLS-OK,Recommended,Reference\n\"0x00,0x9C\",TLS_RSA_WITH_AES_128_GCM_SHA256,Y,N,[RFC5288]\n\"0x00,0x1C-1D\",Reserved,,,\n\"0x0A,0x0A\",Reserved,Y,N,[RFC8701]\n")},
		"tls-parameters-8.csv":    {Data: []byte("Value,Description\r\n29,x25519\r\n42-255,Unassigned\r\n")},
		"tls-signaturescheme.csv": {Data: []byte("Value,Description\n0x0403,ecdsa_secp256r1_sha256\n")},
	}
	src, err := Generate(fsys)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{`0x009c: "TLS_RSA_WITH_AES_128_GCM_SHA256"`, `0x001d: "x25519"`, `0x0403: "ecdsa_secp256r1_sha256"`} {
		if !bytes.Contains(src, []byte(want)) {
			t.Errorf("generated source lacks %s", want)
		}
	}
	if bytes.Contains(src, []byte("Reserved")) {
		t.Error("reserved rows were kept")
	}
	fsys["tls-parameters-8.csv"] = &fstest.MapFile{Data: []byte("no,header\n")}
	if _, err := Generate(fsys); err == nil {
		t.Error("a file without the IANA header was accepted")
	}
}
