package main

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/spf13/cobra"

	"github.com/certgate/certgate/pkg/iostreams"
)

// Exit statuses, as SPEC "Exit status" defines them.
const (
	exitOK    = 0 // no result at or above --fail-on
	exitFail  = 1 // at least one result at or above --fail-on
	exitUsage = 2 // the command could not run as asked
)

// usageError is an error in how the command was called: a bad flag, a bad
// value, an unreadable input, no targets. It exits 2.
type usageError struct{ err error }

func (e *usageError) Error() string { return e.err.Error() }
func (e *usageError) Unwrap() error { return e.err }

// usagef returns a usage error; the message names the flag and the fix.
func usagef(format string, args ...any) error {
	return &usageError{fmt.Errorf(format, args...)}
}

// errFailOn reports that results at or above --fail-on were printed: exit 1
// with nothing more to say.
var errFailOn = errors.New("results at or above --fail-on")

// run executes the command line and returns the exit status.
func run(ctx context.Context, args []string, ios *iostreams.IOStreams) int {
	root := newRootCmd(ios)
	root.SetArgs(args)
	root.SetIn(ios.In)
	root.SetOut(ios.Out)
	root.SetErr(ios.ErrOut)
	err := root.ExecuteContext(ctx)
	return exitCode(err, ios)
}

// exitCode maps an error to the exit status and prints it: the one place
// that does.
func exitCode(err error, ios *iostreams.IOStreams) int {
	if err == nil {
		return exitOK
	}
	if errors.Is(err, errFailOn) {
		return exitFail
	}
	var ue *usageError
	if errors.As(err, &ue) {
		fmt.Fprintf(ios.ErrOut, "certgate: %s\n", ue.err)
		return exitUsage
	}
	// Cobra's own errors (unknown command or flag, bad argument count) are
	// usage errors too.
	msg := err.Error()
	fmt.Fprintf(ios.ErrOut, "certgate: %s\n", msg)
	if strings.HasPrefix(msg, "unknown") || strings.Contains(msg, "flag") || strings.Contains(msg, "arg(s)") {
		fmt.Fprintln(ios.ErrOut, "certgate: run 'certgate --help' for usage")
	}
	return exitUsage
}

func newRootCmd(ios *iostreams.IOStreams) *cobra.Command {
	root := &cobra.Command{
		Use:   "certgate",
		Short: "Check TLS endpoints as a strict HTTPS client does",
		Long: `certgate runs real TLS handshakes against endpoints and validates each
certificate chain against embedded copies of the Mozilla and Java trust
stores, the way a strict HTTPS client (such as a webhook platform) does. It
reports every problem with the code that client would give:
11237 (no path to a trusted root), 11236 (expired), 11235 (domain mismatch).`,
		SilenceUsage:  true,
		SilenceErrors: true,
		Version:       versionString(),
	}
	root.SetFlagErrorFunc(func(cmd *cobra.Command, err error) error {
		return usagef("%s (see 'certgate %s --help')", err, cmd.Name())
	})
	root.SetVersionTemplate("{{.Version}}\n")
	root.AddCommand(newCheckCmd(ios, nil))
	root.AddCommand(newVersionCmd(ios))
	root.AddCommand(newVerifyCmd(ios, nil))
	root.AddCommand(newRootsCmd(ios))
	root.AddCommand(newManCmd(ios))
	return root
}
