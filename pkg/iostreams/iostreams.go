// Package iostreams carries certgate's standard streams and what is known
// about them: whether each is a terminal, whether colour is wanted, and how
// wide the terminal is. Commands and renderers take an *IOStreams instead of
// touching os.Stdout, so tests can swap in buffers with Test.
package iostreams

import (
	"bytes"
	"io"
	"os"
	"strconv"

	"github.com/mattn/go-isatty"
	"golang.org/x/term"
)

// DefaultWidth is the terminal width assumed when it cannot be measured.
const DefaultWidth = 80

// IOStreams is the set of streams a command reads and writes, plus the
// terminal facts that decide how output looks. Results go to Out; progress,
// logs and diagnostics go to ErrOut.
type IOStreams struct {
	// In is standard input.
	In io.Reader
	// Out receives results.
	Out io.Writer
	// ErrOut receives progress, logs and diagnostics.
	ErrOut io.Writer

	// Getenv looks up environment variables (NO_COLOR, COLUMNS). It defaults
	// to os.Getenv; tests replace it.
	Getenv func(string) string

	// outFile is the standard output file System found, kept so that its
	// width can be measured after Out is wrapped (by a progress bar that
	// clears itself before each write, for example).
	outFile *os.File

	stdinTTY      bool
	stdoutTTY     bool
	stderrTTY     bool
	colorDisabled bool
	width         int
}

// System returns IOStreams bound to os.Stdin, os.Stdout and os.Stderr, with
// terminal detection done once, here.
func System() *IOStreams {
	return fromFiles(os.Stdin, os.Stdout, os.Stderr)
}

// fromFiles returns IOStreams bound to the given files, as System does.
func fromFiles(in, out, errOut *os.File) *IOStreams {
	return &IOStreams{
		In:        in,
		Out:       out,
		ErrOut:    errOut,
		Getenv:    os.Getenv,
		outFile:   out,
		stdinTTY:  isTerminal(in),
		stdoutTTY: isTerminal(out),
		stderrTTY: isTerminal(errOut),
	}
}

// Test returns IOStreams backed by buffers, with every stream marked as not a
// terminal and an empty environment. Use SetStdoutTTY and friends to get the
// terminal look.
func Test() (ios *IOStreams, in *bytes.Buffer, out *bytes.Buffer, errOut *bytes.Buffer) {
	in, out, errOut = &bytes.Buffer{}, &bytes.Buffer{}, &bytes.Buffer{}
	ios = &IOStreams{
		In:     in,
		Out:    out,
		ErrOut: errOut,
		Getenv: func(string) string { return "" },
	}
	return ios, in, out, errOut
}

func isTerminal(f *os.File) bool {
	fd := f.Fd()
	return isatty.IsTerminal(fd) || isatty.IsCygwinTerminal(fd)
}

func (s *IOStreams) getenv(key string) string {
	if s.Getenv == nil {
		return os.Getenv(key)
	}
	return s.Getenv(key)
}

// IsStdinTTY reports whether standard input is a terminal.
func (s *IOStreams) IsStdinTTY() bool { return s.stdinTTY }

// IsStdoutTTY reports whether standard output is a terminal.
func (s *IOStreams) IsStdoutTTY() bool { return s.stdoutTTY }

// IsStderrTTY reports whether standard error is a terminal.
func (s *IOStreams) IsStderrTTY() bool { return s.stderrTTY }

// SetStdinTTY overrides terminal detection for standard input.
func (s *IOStreams) SetStdinTTY(v bool) { s.stdinTTY = v }

// SetStdoutTTY overrides terminal detection for standard output.
func (s *IOStreams) SetStdoutTTY(v bool) { s.stdoutTTY = v }

// SetStderrTTY overrides terminal detection for standard error.
func (s *IOStreams) SetStderrTTY(v bool) { s.stderrTTY = v }

// SetColorDisabled turns colour off for every stream when v is true; the
// --no-color flag sets it.
func (s *IOStreams) SetColorDisabled(v bool) { s.colorDisabled = v }

// ColorEnabled reports whether output on Out may carry ANSI colour: Out is a
// terminal that understands escape codes (TERM is not "dumb"), NO_COLOR is
// unset or empty, and colour was not disabled.
func (s *IOStreams) ColorEnabled() bool {
	return s.stdoutTTY && s.colorAllowed()
}

// StderrColorEnabled is ColorEnabled for ErrOut: ErrOut is a terminal that
// understands escape codes, NO_COLOR is unset or empty, and colour was not
// disabled.
func (s *IOStreams) StderrColorEnabled() bool {
	return s.stderrTTY && s.colorAllowed()
}

func (s *IOStreams) colorAllowed() bool {
	return !s.colorDisabled && s.getenv("NO_COLOR") == "" && !s.DumbTerminal()
}

// DumbTerminal reports whether TERM is "dumb": the terminal shows text but
// no escape codes, so neither colour nor a redrawn progress bar may be sent.
func (s *IOStreams) DumbTerminal() bool {
	return s.getenv("TERM") == "dumb"
}

// SetTerminalWidth fixes the width TerminalWidth returns; 0 restores
// measurement.
func (s *IOStreams) SetTerminalWidth(w int) { s.width = w }

// TerminalWidth returns the width of the terminal on standard output in
// columns: the value given to SetTerminalWidth, else the measured width when
// standard output is a terminal (measured on the file System found, even
// when Out has since been wrapped), else a positive COLUMNS, else
// DefaultWidth.
func (s *IOStreams) TerminalWidth() int {
	if s.width > 0 {
		return s.width
	}
	f, ok := s.Out.(*os.File)
	if s.outFile != nil {
		f, ok = s.outFile, true
	}
	if ok && s.stdoutTTY {
		if w, _, err := term.GetSize(int(f.Fd())); err == nil && w > 0 {
			return w
		}
	}
	if n, err := strconv.Atoi(s.getenv("COLUMNS")); err == nil && n > 0 {
		return n
	}
	return DefaultWidth
}
