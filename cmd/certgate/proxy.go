package main

import (
	"os"

	"github.com/certgate/certgate/pkg/iostreams"
	"github.com/certgate/certgate/pkg/proxy"
)

// proxyDialer returns the dialer that tunnels through the proxy that
// --proxy or HTTPS_PROXY names (NO_PROXY exempting hosts), or nil when there
// is none. A bad proxy URL is a usage error naming where it came from.
func proxyDialer(o *checkOptions) (*proxy.Dialer, error) {
	cfg := proxy.FromEnvironment(getenv(o.IO))
	source := "HTTPS_PROXY"
	if o.UX.Proxy != "" {
		cfg.HTTPSProxy, source = o.UX.Proxy, "--proxy"
	}
	d, err := proxy.New(cfg, nil)
	if err != nil {
		return nil, usagef("%s: %v", source, err)
	}
	return d, nil
}

// getenv is ios.Getenv, or os.Getenv when it is not set.
func getenv(ios *iostreams.IOStreams) func(string) string {
	if ios.Getenv != nil {
		return ios.Getenv
	}
	return os.Getenv
}
