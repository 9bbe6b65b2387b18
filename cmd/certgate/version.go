package main

import (
	"errors"
	"fmt"
	"io"
	"runtime/debug"
	"time"

	"github.com/spf13/cobra"

	"github.com/certgate/certgate/pkg/iostreams"
	"github.com/certgate/certgate/pkg/truststore"
)

// Set by the release build with -ldflags "-X main.version=… -X main.commit=… -X main.date=…".
var (
	version = ""
	commit  = ""
	date    = ""
)

// buildInfo returns the version, commit and build date, falling back to the
// module's build information for `go install` builds.
func buildInfo() (v, c, d string) {
	v, c, d = version, commit, date
	if bi, ok := debug.ReadBuildInfo(); ok {
		if v == "" && bi.Main.Version != "" && bi.Main.Version != "(devel)" {
			v = bi.Main.Version
		}
		for _, s := range bi.Settings {
			switch s.Key {
			case "vcs.revision":
				if c == "" {
					c = s.Value
				}
			case "vcs.time":
				if d == "" {
					d = s.Value
				}
			}
		}
	}
	if v == "" {
		v = "dev"
	}
	if c == "" {
		c = "unknown"
	}
	if d == "" {
		d = "unknown"
	}
	return v, c, d
}

func versionString() string {
	v, c, d := buildInfo()
	return fmt.Sprintf("certgate %s (commit %s, built %s)", v, c, d)
}

func newVersionCmd(ios *iostreams.IOStreams) *cobra.Command {
	return &cobra.Command{
		Use:   "version",
		Short: "Print the version, commit, build date and trust store versions",
		Args:  noArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			return withCheckedOut(ios, func(ios *iostreams.IOStreams) error {
				fmt.Fprintln(ios.Out, versionString())
				for _, name := range []string{"mozilla", "java"} {
					s, err := truststore.Load(name)
					if err != nil {
						return err
					}
					fmt.Fprintf(ios.Out, "trust store %-8s %s, snapshot %s, %d roots\n", name+":", s.Version, s.Date.Format(time.DateOnly), len(s.Roots))
				}
				return nil
			})
		},
	}
}

// errWriter passes writes on and remembers the first error, so that a
// command whose output cannot be written (a full disk, a closed pipe) fails
// instead of exiting 0.
type errWriter struct {
	w   io.Writer
	err error
}

func (e *errWriter) Write(p []byte) (int, error) {
	if e.err != nil {
		return 0, e.err
	}
	n, err := e.w.Write(p)
	if err != nil {
		e.err = err
	}
	return n, err
}

// withCheckedOut runs f with ios.Out wrapped in an errWriter and returns
// f's error, else the first error writing to ios.Out.
func withCheckedOut(ios *iostreams.IOStreams, f func(*iostreams.IOStreams) error) error {
	c := *ios
	ew := &errWriter{w: ios.Out}
	c.Out = ew
	err := f(&c)
	if ew.err != nil && (err == nil || errors.Is(err, ew.err)) {
		err = fmt.Errorf("writing output: %w (check the disk or the pipe standard output goes to)", ew.err)
	}
	return err
}
