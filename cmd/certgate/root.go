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
// that does. Usage errors, including Cobra's flag and argument errors (made
// usage errors by the flag error function and the Args validators of every
// command), exit 2 with a hint; any other error (a result that could not be
// written) exits 2 too, since the run did not complete.
func exitCode(err error, ios *iostreams.IOStreams) int {
	if err == nil {
		return exitOK
	}
	if errors.Is(err, errFailOn) {
		return exitFail
	}
	fmt.Fprintf(ios.ErrOut, "certgate: %s\n", err)
	return exitUsage
}

// exitStatusHelp is appended to every command's help and man page.
const exitStatusHelp = `

Exit status: 0 when no result is at or above --fail-on; 1 when one is; 2 on
a usage error (bad flag or value, unreadable input, no targets) or when the
output cannot be written; 130 when interrupted (SIGINT), 143 when terminated
(SIGTERM), 129 on a hang-up (SIGHUP); the results finished by then are
printed.`

// exitStatusHelpPlain is the exit status text of commands without results.
const exitStatusHelpPlain = `

Exit status: 0 on success; 2 on a usage error (bad flag, argument or store)
or when the output cannot be written; 130 when interrupted (SIGINT), 143
when terminated (SIGTERM), 129 on a hang-up (SIGHUP).`

// subcommandArgs is the Args validator of a command that only groups
// subcommands: an argument is a misspelt subcommand, a usage error with
// Cobra's suggestions.
func subcommandArgs(cmd *cobra.Command, args []string) error {
	if len(args) == 0 {
		return nil
	}
	msg := fmt.Sprintf("unknown command %q for %q", args[0], cmd.CommandPath())
	if cmd.SuggestionsMinimumDistance <= 0 {
		cmd.SuggestionsMinimumDistance = 2
	}
	if sug := cmd.SuggestionsFor(args[0]); len(sug) > 0 {
		alts := sug[len(sug)-1]
		if len(sug) > 1 {
			alts = strings.Join(sug[:len(sug)-1], ", ") + " or " + alts
		}
		msg += fmt.Sprintf(": did you mean %s?", alts)
	}
	return usagef("%s (see '%s --help')", msg, cmd.CommandPath())
}

// noArgs is the Args validator of a command that takes no arguments.
func noArgs(cmd *cobra.Command, args []string) error {
	if len(args) > 0 {
		return usagef("%s takes no arguments, got %q (see '%s --help')", cmd.CommandPath(), args[0], cmd.CommandPath())
	}
	return nil
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
		// Args and RunE make an unknown command a typed usage error with
		// suggestions; without arguments the root prints its help.
		Args: subcommandArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			return cmd.Help()
		},
	}
	root.SetFlagErrorFunc(func(cmd *cobra.Command, err error) error {
		return usagef("%s (see '%s --help')", err, cmd.CommandPath())
	})
	root.SetVersionTemplate("{{.Version}}\n")
	root.AddCommand(newCheckCmd(ios, nil))
	root.AddCommand(newScanCmd(ios, nil))
	root.AddCommand(newVersionCmd(ios))
	root.AddCommand(newVerifyCmd(ios, nil))
	root.AddCommand(newDiffCmd(ios))
	root.AddCommand(newRootsCmd(ios))
	root.AddCommand(newManCmd(ios))
	root.AddCommand(newPreflightCmd(ios))
	root.AddCommand(newServeCmd(ios, nil))
	// The commands Cobra adds itself, made now so that they get the exit
	// statuses too; the completion commands keep the output they see now.
	root.SetIn(ios.In)
	root.SetOut(ios.Out)
	root.SetErr(ios.ErrOut)
	root.InitDefaultHelpCmd()
	root.InitDefaultCompletionCmd()
	for _, c := range root.Commands() {
		if c.HasSubCommands() && !c.Runnable() {
			// Cobra's completion command: an unknown shell is a usage
			// error, not its help with exit 0.
			c.Args = subcommandArgs
			c.RunE = func(cmd *cobra.Command, args []string) error { return cmd.Help() }
		}
	}
	addExitStatusHelp(root)
	return root
}

// exitStatusAnnotation is the annotation of a command whose exit statuses
// are its own (certgate serve, which a stop signal ends with 0).
const exitStatusAnnotation = "certgate/exit-status"

// addExitStatusHelp appends the exit statuses to the long help of cmd and
// every command under it, so --help and the man pages list them.
func addExitStatusHelp(cmd *cobra.Command) {
	text := exitStatusHelpPlain
	if cmd.Flags().Lookup("fail-on") != nil || !cmd.HasParent() {
		text = exitStatusHelp
	}
	if own, ok := cmd.Annotations[exitStatusAnnotation]; ok {
		text = own
	}
	long := cmd.Long
	if long == "" {
		long = cmd.Short + "."
	}
	cmd.Long = long + text
	for _, c := range cmd.Commands() {
		addExitStatusHelp(c)
	}
}
