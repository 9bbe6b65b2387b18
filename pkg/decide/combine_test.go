package decide

import (
	"strings"
	"testing"

	"github.com/certgate/certgate/pkg/result"
)

// at is a result at one address, as Apply leaves it.
func at(addr string, s result.Status, c result.Code, detail, leaf string) result.Result {
	r := result.Result{Address: addr, Status: s, Code: c, Message: c.Message(), Detail: detail, DurationMS: 12.5, Chain: []result.Cert{}, Problems: []result.Problem{}}
	if leaf != "" {
		r.Chain = []result.Cert{{SHA256: leaf}}
	}
	return r
}

func TestWorst(t *testing.T) {
	ok := at("a", result.StatusOK, 0, "", "")
	warn := at("b", result.StatusWarn, 0, "soon", "")
	name := at("c", result.StatusFail, result.CodeDomainMismatch, "name", "")
	expired := at("d", result.StatusFail, result.CodeExpired, "expired", "")
	noPath := at("e", result.StatusFail, result.CodeNoPath, "path", "")
	refused := at("f", result.StatusError, result.CodeTCPRefused, "refused", "")
	tests := []struct {
		name string
		rs   []result.Result
		want int
	}{
		{"none", nil, -1},
		{"one", []result.Result{ok}, 0},
		{"first of equals", []result.Result{ok, ok}, 0},
		{"warn over ok", []result.Result{ok, warn}, 1},
		{"fail over warn", []result.Result{warn, name, ok}, 1},
		{"11236 over 11235", []result.Result{name, expired}, 1},
		{"11237 over 11236", []result.Result{expired, noPath, name}, 1},
		{"error over fail", []result.Result{noPath, refused}, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := Worst(tt.rs); got != tt.want {
				t.Errorf("Worst = %d, want %d", got, tt.want)
			}
		})
	}
}

func TestCombine(t *testing.T) {
	ok1 := at("192.0.2.1:443", result.StatusOK, 0, "", "aa")
	ok2 := at("192.0.2.2:443", result.StatusOK, 0, "", "bb")
	exp3 := at("192.0.2.3:443", result.StatusFail, result.CodeExpired, "leaf certificate expired 4 days ago; renew it", "cc")
	exp4 := at("[2001:db8::4]:443", result.StatusFail, result.CodeExpired, "leaf certificate expired 4 days ago; renew it", "cc")
	name5 := at("192.0.2.5:443", result.StatusFail, result.CodeDomainMismatch, "name", "dd")
	warn6 := at("192.0.2.6:443", result.StatusWarn, 0, "expires in 3 days", "ee")
	unreach := at("[2001:db8::7]:443", result.StatusError, result.CodeConnFailure, "connection to [2001:db8::7]:443 failed (network is unreachable)", "")
	tests := []struct {
		name    string
		outs    []AddressOutcome
		address string // the worst counted address
		detail  string // the whole detail
		note    string // a substring of the address-not-reached note; "" for none
	}{
		{name: "one address", outs: []AddressOutcome{{Result: exp3}}, address: exp3.Address, detail: exp3.Detail},
		{name: "all agree", outs: []AddressOutcome{{Result: ok1}, {Result: ok2}}, address: ok1.Address, detail: ""},
		{name: "all fail alike", outs: []AddressOutcome{{Result: exp3}, {Result: exp4}}, address: exp3.Address, detail: exp3.Detail},
		{name: "two of three fail", outs: []AddressOutcome{{Result: ok1}, {Result: exp3}, {Result: exp4}}, address: exp3.Address,
			detail: "2 of 3 addresses, 192.0.2.3:443 and [2001:db8::4]:443, fail with code 11236, while 192.0.2.1:443 passes: leaf certificate expired 4 days ago; renew it"},
		{name: "three verdicts", outs: []AddressOutcome{{Result: warn6}, {Result: name5}, {Result: exp3}, {Result: ok1}, {Result: ok2}}, address: exp3.Address,
			detail: "1 of 5 addresses, 192.0.2.3:443, fails with code 11236, while 192.0.2.6:443 passes with a warning; 192.0.2.5:443 fails with code 11235; 192.0.2.1:443 and 192.0.2.2:443 pass: leaf certificate expired 4 days ago; renew it"},
		{name: "a warning, no detail of its own", outs: []AddressOutcome{{Result: ok1}, {Result: at("192.0.2.8:443", result.StatusWarn, 0, "", "")}}, address: "192.0.2.8:443",
			detail: "1 of 2 addresses, 192.0.2.8:443, passes with a warning, while 192.0.2.1:443 passes"},
		{name: "an address not reached does not count", outs: []AddressOutcome{{Result: ok1}, {Result: unreach, Unreached: true}}, address: ok1.Address, detail: "",
			note: "[2001:db8::7]:443 could not be reached from this machine (no route to its network) and is not counted"},
		{name: "no address reached", outs: []AddressOutcome{{Result: unreach, Unreached: true}, {Result: unreach, Unreached: true}}, address: unreach.Address, detail: unreach.Detail},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := Combine(tt.outs)
			if r.Address != tt.address || r.Detail != tt.detail {
				t.Errorf("address %s, detail %q\nwant %s, %q", r.Address, r.Detail, tt.address, tt.detail)
			}
			if len(r.Addresses) != len(tt.outs) {
				t.Fatalf("%d addresses for %d outcomes", len(r.Addresses), len(tt.outs))
			}
			for i, o := range tt.outs {
				a := r.Addresses[i]
				leaf := ""
				if len(o.Result.Chain) > 0 {
					leaf = o.Result.Chain[0].SHA256
				}
				if a.Address != o.Result.Address || a.Status != o.Result.Status || a.Code != o.Result.Code || a.LeafSHA256 != leaf || a.DurationMS != o.Result.DurationMS {
					t.Errorf("addresses[%d] = %+v, want the outcome at %s", i, a, o.Result.Address)
				}
			}
			var notes []string
			for _, p := range r.Problems {
				if p.ID == result.ProblemAddressNotReached {
					notes = append(notes, p.Message)
					if p.Severity != result.SeverityInfo {
						t.Errorf("%s is %s, want info", p.ID, p.Severity)
					}
				}
			}
			if tt.note == "" && len(notes) > 0 || tt.note != "" && (len(notes) != 1 || !strings.Contains(notes[0], tt.note)) {
				t.Errorf("notes %q, want %q", notes, tt.note)
			}
		})
	}
}
