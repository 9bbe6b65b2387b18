package main

import (
	"fmt"
	"io"
	"os"
	"strings"
	"sync"

	"github.com/schollz/progressbar/v3"
	"github.com/spf13/cobra"

	"github.com/certgate/certgate/pkg/iostreams"
	"github.com/certgate/certgate/pkg/report"
	"github.com/certgate/certgate/pkg/result"
	"github.com/certgate/certgate/pkg/runner"
	"github.com/certgate/certgate/pkg/target"
)

// uxOptions are the check flags for people and CI: --quiet and --proxy.
type uxOptions struct {
	Quiet bool
	Proxy string
}

func addUXFlags(cmd *cobra.Command, o *uxOptions) {
	f := cmd.Flags()
	f.BoolVarP(&o.Quiet, "quiet", "q", false, "print only the results that are not ok, and no progress bar")
	f.StringVar(&o.Proxy, "proxy", "", "connect through this HTTP proxy with CONNECT (`URL` http://[USER:PASSWORD@]HOST:PORT; default $HTTPS_PROXY, honouring $NO_PROXY)")
	_ = cmd.RegisterFlagCompletionFunc("proxy", cobra.NoFileCompletions)
}

// quietRenderer applies --quiet to ren.
func quietRenderer(ren report.Renderer, o *uxOptions) report.Renderer {
	if o.Quiet {
		return report.Quiet(ren)
	}
	return ren
}

// progress draws a progress bar on stderr while a check runs: done/total,
// failures so far, the rate and the time left. It draws nothing unless
// stderr is a terminal, CI is not set, --quiet is not given and there is more
// than one target. A nil *progress or one that is off does nothing.
type progress struct {
	ios *iostreams.IOStreams

	mu      sync.Mutex
	bar     *progressbar.ProgressBar
	total   int  // targets known: arguments plus the counted list
	exact   bool // total is final (no list on stdin)
	seen    int  // targets handed to the runner so far
	done    int
	failed  int
	stopped bool
}

// progressWanted reports whether a progress bar may be drawn at all.
func progressWanted(ios *iostreams.IOStreams, o *checkOptions) bool {
	if o.UX.Quiet || !ios.IsStderrTTY() {
		return false
	}
	switch strings.ToLower(strings.TrimSpace(getenv(ios)("CI"))) {
	case "", "0", "false", "no":
		return true
	}
	return false
}

// startProgress prepares the progress bar of a check. When one may be drawn
// and stdout is the same terminal, it routes ios.Out through the bar so that
// streamed results never land in the middle of it.
func startProgress(o *checkOptions) *progress {
	ios := o.IO
	if !progressWanted(ios, o) {
		return nil
	}
	p := &progress{ios: ios, total: len(o.Targets), exact: true}
	for _, name := range o.Files {
		if name == "-" {
			p.exact = false
		} else if n, err := countList(name); err == nil {
			p.total += n
		} else {
			p.exact = false
		}
	}
	if ios.IsStdoutTTY() {
		ios.Out = &clearingWriter{w: ios.Out, p: p}
	}
	return p
}

// countList counts the targets in a list file, as ReadList reads them.
func countList(path string) (int, error) {
	f, err := os.Open(path)
	if err != nil {
		return 0, err
	}
	defer f.Close()
	n := 0
	err = target.ReadList(f, func(int, string) error { n++; return nil })
	return n, err
}

// wrapNext counts the inputs handed to the runner, for lists read from stdin.
func (p *progress) wrapNext(next func() (runner.Input, bool)) func() (runner.Input, bool) {
	if p == nil {
		return next
	}
	return func() (runner.Input, bool) {
		in, ok := next()
		p.mu.Lock()
		if ok {
			p.seen++
		} else {
			p.exact = true
			p.total = max(p.total, p.seen)
		}
		p.mu.Unlock()
		return in, ok
	}
}

// add records one finished result and redraws the bar.
func (p *progress) add(r result.Result) {
	if p == nil {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	p.done++
	if r.Status == result.StatusFail || r.Status == result.StatusError {
		p.failed++
	}
	if p.stopped {
		return
	}
	total := max(p.total, p.seen, p.done)
	if p.bar == nil {
		if total < 2 {
			return
		}
		p.bar = progressbar.NewOptions(total,
			progressbar.OptionSetWriter(p.ios.ErrOut),
			progressbar.OptionUseANSICodes(true),
			progressbar.OptionEnableColorCodes(p.ios.StderrColorEnabled()),
			progressbar.OptionSetWidth(20),
			progressbar.OptionShowCount(),
			progressbar.OptionShowIts(),
			progressbar.OptionSetItsString("targets"),
			progressbar.OptionSetPredictTime(true),
			progressbar.OptionClearOnFinish(),
		)
	}
	if p.bar.GetMax() != total {
		p.bar.ChangeMax(total)
	}
	desc := "checking"
	if !p.exact {
		desc = "checking (more to read)"
	}
	if p.failed > 0 {
		desc += fmt.Sprintf(", %d failed", p.failed)
	}
	p.bar.Describe(desc)
	_ = p.bar.Set(p.done)
}

// finish removes the bar before the results are printed.
func (p *progress) finish() {
	if p == nil {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	p.stopped = true
	if p.bar != nil {
		_ = p.bar.Exit()
		_ = p.bar.Clear()
	}
}

// clearingWriter clears the progress bar before each write to stdout, when
// stdout and stderr share a terminal; the next update draws it again.
type clearingWriter struct {
	w io.Writer
	p *progress
}

func (c *clearingWriter) Write(b []byte) (int, error) {
	c.p.mu.Lock()
	if c.p.bar != nil && !c.p.stopped {
		_ = c.p.bar.Clear()
	}
	c.p.mu.Unlock()
	return c.w.Write(b)
}
