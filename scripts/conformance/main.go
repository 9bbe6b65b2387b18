// Command conformance runs the x509-limbo SERVER testcases through the
// validator of `certgate verify` and prints the agreement per namespace and
// overall, then (with -v) every testcase that disagrees.
//
//	go run ./scripts/conformance [-v] [-suite PATH]
//
// The suite defaults to ../shared/conformance/limbo-server-subset.jsonl.gz
// beside the repository ($CERTGATE_SHARED overrides ../shared). Testcases
// without a validation time are validated now.
package main

import (
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/certgate/certgate/internal/conformance"
)

func main() {
	shared := os.Getenv("CERTGATE_SHARED")
	if shared == "" {
		shared = filepath.Join("..", "shared")
	}
	suite := flag.String("suite", filepath.Join(shared, "conformance", "limbo-server-subset.jsonl.gz"), "the gzip-compressed JSON-lines suite")
	verbose := flag.Bool("v", false, "list every testcase that disagrees")
	flag.Parse()

	cases, err := conformance.ReadFile(*suite)
	if err != nil {
		fmt.Fprintf(os.Stderr, "conformance: %v (pass -suite PATH or set CERTGATE_SHARED)\n", err)
		os.Exit(2)
	}
	sum := conformance.RunAll(cases, time.Now())
	if err := conformance.Write(os.Stdout, sum, *verbose); err != nil {
		fmt.Fprintf(os.Stderr, "conformance: %v\n", err)
		os.Exit(1)
	}
}
