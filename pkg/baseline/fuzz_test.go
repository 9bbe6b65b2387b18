package baseline

import (
	"bytes"
	"errors"
	"strings"
	"testing"
)

// FuzzRead: whatever the bytes, Read returns results or a *FormatError,
// never panics; and comparing what it read with itself finds no change
// that is more than a note.
func FuzzRead(f *testing.F) {
	f.Add([]byte("[" + one + "," + two + "]"))
	f.Add([]byte(one + "\n" + two + "\n"))
	f.Add([]byte(`{"schema":"certgate.result/v1","target":"a","status":"ok","chain":[{"sha256":"x","key":"RSA 2048"}],"addresses":[{"address":"1.2.3.4:443","leaf_sha256":"x"},{"address":"1.2.3.5:443","leaf_sha256":"y"}]}`))
	f.Add([]byte("[]"))
	f.Fuzz(func(t *testing.T, data []byte) {
		rs, err := Read(bytes.NewReader(data), "f.json")
		if err != nil {
			var fe *FormatError
			if !errors.As(err, &fe) {
				t.Fatalf("error %v is %T, not *FormatError", err, err)
			}
			return
		}
		for i := range rs {
			for _, c := range Changes(&rs[i], &rs[i]) {
				if c.ID != "address-differs" {
					t.Fatalf("a result compared with itself changed: %+v", c)
				}
			}
		}
		_ = Diff(rs, rs)
	})
}

// FuzzDNAttr: any issuer name a results file holds is read without a
// panic, and a name without the attribute gives "".
func FuzzDNAttr(f *testing.F) {
	f.Add("CN=R11,O=Let's Encrypt,C=US")
	f.Add(`CN=E6,O=Acme\, Inc.,C=US`)
	f.Add(`O=\41\4`)
	f.Add(`CN=a+O=b\`)
	f.Fuzz(func(t *testing.T, dn string) {
		o := dnAttr(dn, "O")
		if !strings.Contains(strings.ToUpper(dn), "O") && o != "" {
			t.Fatalf("dnAttr(%q, O) = %q from a name without O", dn, o)
		}
		_ = dnAttr(dn, "CN")
	})
}
