package main

import (
	"errors"
	"fmt"
	"strings"

	"github.com/spf13/cobra"

	"github.com/certgate/certgate/pkg/clients"
	"github.com/certgate/certgate/pkg/config"
	"github.com/certgate/certgate/pkg/decide"
	"github.com/certgate/certgate/pkg/result"
	"github.com/certgate/certgate/pkg/runner"
)

// configOptions are --config and --only, for every command that reads
// certgate.yaml (check, scan, preflight).
type configOptions struct {
	// Path is --config; empty means ./certgate.yaml when it exists.
	Path string
	// Only is --only: keep the endpoints with one of these labels.
	Only []string
	// None is --no-config: do not read ./certgate.yaml.
	None bool

	// file and endpoints are set by load.
	file      *config.File
	endpoints []config.Endpoint
}

func addConfigFlags(cmd *cobra.Command, o *configOptions) {
	f := cmd.Flags()
	f.StringVar(&o.Path, "config", "", "read endpoints from this certgate.yaml `PATH` (default ./"+config.FileName+" when it exists; targets given as well are added)")
	f.BoolVar(&o.None, "no-config", false, "do not read ./"+config.FileName+": check only the targets given")
	f.StringArrayVar(&o.Only, "only", nil, "check only the config's endpoints with this `LABEL` (key=value, or a value of any label; repeatable: any of them)")
}

// load reads the config file, if any, and keeps its endpoints that --only
// selects. A bad file is a usage error naming the file, line and fix.
func (o *configOptions) load() error {
	if o.None {
		switch {
		case o.Path != "":
			return usagef("--no-config and --config %s contradict each other: drop one", o.Path)
		case len(o.Only) > 0:
			return usagef("--only selects endpoints of a config file, and --no-config reads none: drop one")
		}
		return nil
	}
	path := o.Path
	if path == "" {
		p, ok := config.Find(".")
		if !ok {
			if len(o.Only) > 0 {
				return usagef("--only: no %s in this directory and no --config: give the config file with --config PATH", config.FileName)
			}
			return nil
		}
		path = p
	}
	f, err := config.Load(path)
	if err != nil {
		var ce *config.Error
		if errors.As(err, &ce) {
			return usagef("--config: %v", err)
		}
		return err
	}
	o.file = f
	o.endpoints = f.Only(o.Only)
	if len(o.Only) > 0 && len(o.endpoints) == 0 {
		return usagef("--only %s: no endpoint of %s has that label (labels used: %s)", strings.Join(o.Only, ","), path, strings.Join(f.LabelNames(), ", "))
	}
	return nil
}

// inputs returns the runner inputs of the config's endpoints, numbered
// from 0, each with its own settings.
func (o *configOptions) inputs() ([]runner.Input, error) {
	ins := make([]runner.Input, 0, len(o.endpoints))
	for i, e := range o.endpoints {
		ep, err := o.runnerEndpoint(e)
		if err != nil {
			return nil, err
		}
		ins = append(ins, runner.Input{Raw: e.Target, Index: i, Line: e.Line, Endpoint: ep})
	}
	return ins, nil
}

// runnerEndpoint turns one endpoint's settings into the runner's.
func (o *configOptions) runnerEndpoint(e config.Endpoint) (*runner.Endpoint, error) {
	where := fmt.Sprintf("%s:%d", o.file.Path, e.Line)
	ep := &runner.Endpoint{Addresses: e.Resolve, ServerName: e.SNI, StartTLS: e.StartTLS, WarnDays: e.WarnDays}
	if e.Client != "" {
		p, err := clients.ByName(e.Client)
		var unknown *clients.UnknownError
		if errors.As(err, &unknown) {
			return nil, usagef("--config: %s: client %q is not a recorded client; use one of %s", where, e.Client, strings.Join(unknown.Known, ", "))
		}
		if err != nil {
			return nil, fmt.Errorf("%s: client %s: reading the embedded client profile: %w (the binary is damaged: rebuild it)", where, e.Client, err)
		}
		ep.Clients = []*clients.Profile{p}
	}
	if x := e.Expect; x.Root != "" || x.Issuer != "" {
		ep.Expect = func(chain []result.Cert, stores []decide.Store) []result.Problem {
			return x.Check(chain, stores, where)
		}
	}
	return ep, nil
}

// addressExpectations returns, for the result of the config's endpoint
// number i, the problems of its expect.addresses.
func (o *configOptions) addressExpectations(i int, r *result.Result) []result.Problem {
	if i < 0 || i >= len(o.endpoints) {
		return nil
	}
	e := o.endpoints[i]
	return e.Expect.AddressesProblem(r, fmt.Sprintf("%s:%d", o.file.Path, e.Line))
}
