// Package report renders result.Result values for people and programs:
// a table, one JSON array, JSON lines, JUnit XML, GitHub Actions workflow
// commands, or a Markdown summary. A Renderer reads results and writes
// bytes; it never re-judges a result.
//
// Every string that comes from a certificate or a server is passed through
// Sanitize before it reaches a terminal, and JSON output escapes the same
// characters so that printing it to a terminal is safe too.
package report

import (
	"errors"
	"fmt"
	"maps"
	"slices"
	"sort"
	"strings"

	"github.com/certgate/certgate/pkg/iostreams"
	"github.com/certgate/certgate/pkg/result"
)

// Renderer writes results in one output format. Add may be called from
// several goroutines; Close writes anything buffered and must be called once,
// after the last Add.
type Renderer interface {
	// Add renders or buffers one result.
	Add(result.Result) error
	// Close writes buffered output. Calling Add or Close after Close
	// returns ErrClosed.
	Close() error
}

// Options tune a Renderer.
type Options struct {
	// Stores lists the selected trust stores in the order the user gave
	// them; the table picks the root of the first trusting store in it.
	Stores []string
	// Width is the table width in columns on a terminal; 0 means
	// ios.TerminalWidth().
	Width int
	// Command names the certgate command whose results these are ("check"
	// or "verify"); the JUnit suite and class names carry it. Empty means
	// "check".
	Command string
	// Verbose makes the terminal table list, under the rows, every problem,
	// the presented chain and each store's verdict of each target.
	Verbose bool
}

// command returns o.Command, or "check" when it is empty.
func (o Options) command() string {
	if o.Command == "" {
		return "check"
	}
	return o.Command
}

// ErrClosed results when Add or Close is called on a closed Renderer.
var ErrClosed = errors.New("report: renderer already closed")

// UnknownFormatError results when New is asked for a format that is not
// registered. Valid lists the registered formats, sorted.
type UnknownFormatError struct {
	Format string
	Valid  []string
}

// Error names the format and the valid ones.
func (e *UnknownFormatError) Error() string {
	return fmt.Sprintf("report: unknown output format %q (valid: %s)", e.Format, strings.Join(e.Valid, ", "))
}

// factory builds a Renderer for one format.
type factory func(ios *iostreams.IOStreams, opts Options) Renderer

// registry maps format names to their constructors. Adding a format is one
// entry here.
var registry = map[string]factory{
	"table":    newTable,
	"json":     newJSON,
	"jsonl":    newJSONL,
	"junit":    newJUnit,
	"github":   newGitHub,
	"markdown": newMarkdown,
}

// Formats returns the names of the registered output formats, sorted.
func Formats() []string {
	return slices.Sorted(maps.Keys(registry))
}

// New returns a Renderer for format that writes results to ios.Out. An
// unknown format gives an *UnknownFormatError.
func New(format string, ios *iostreams.IOStreams, opts Options) (Renderer, error) {
	f, ok := registry[format]
	if !ok {
		return nil, &UnknownFormatError{Format: format, Valid: Formats()}
	}
	return f(ios, opts), nil
}

// sortByIndex orders results by input position, keeping Add order for equal
// indexes.
func sortByIndex(rs []result.Result) {
	sort.SliceStable(rs, func(i, j int) bool { return rs[i].Index < rs[j].Index })
}
