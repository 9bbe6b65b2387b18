// Command certgate checks TLS endpoints and certificate bundles the way a
// strict HTTPS client (such as a webhook platform) validates them, against
// embedded copies of the Mozilla and Java trust stores.
package main

import (
	"context"
	"os"
	"os/signal"

	"github.com/certgate/certgate/pkg/iostreams"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	code := run(ctx, os.Args[1:], iostreams.System())
	stop()
	os.Exit(code)
}
