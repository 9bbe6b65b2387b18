package main

import (
	"fmt"
	"strings"
	"time"

	"github.com/certgate/certgate/pkg/iostreams"
	"github.com/certgate/certgate/pkg/truststore"
)

// staleAfter is the age past which an embedded trust store is reported as
// stale: upstream stores change every few months.
const staleAfter = 180 * 24 * time.Hour

// warnStaleStores prints one warning on stderr when an embedded store among
// stores (one with a snapshot date) is older than staleAfter at now, the
// current time (not --at): it names each stale store with its age and says
// how to update. It prints nothing when every store is current; the system
// store and user files have no date and are never stale. check and verify
// call it once, after loading their stores.
func warnStaleStores(ios *iostreams.IOStreams, stores []*truststore.Store, now time.Time) {
	var stale []string
	for _, s := range stores {
		if s == nil || s.Date.IsZero() {
			continue
		}
		age := now.Sub(s.Date)
		if age <= staleAfter {
			continue
		}
		stale = append(stale, fmt.Sprintf("%s (snapshot %s, %d days old)", s.Name, s.Date.Format(time.DateOnly), int(age.Hours()/24)))
	}
	if len(stale) == 0 {
		return
	}
	what := "store " + stale[0] + " is"
	if len(stale) > 1 {
		what = "stores " + strings.Join(stale, " and ") + " are"
	}
	fmt.Fprintf(ios.ErrOut, "certgate: warning: the embedded trust %s older than %d days, so verdicts may differ from current clients: upgrade certgate (go install github.com/certgate/certgate/cmd/certgate@latest), or regenerate the stores with go run ./scripts/genroots and rebuild\n",
		what, int(staleAfter.Hours()/24))
}
