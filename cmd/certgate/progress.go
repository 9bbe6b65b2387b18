package main

import (
	"fmt"
	"io"
	"os"
	"strings"
	"sync"
	"time"

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

// refreshEvery is how often the progress bar is redrawn while no target
// completes, so that it keeps moving (spinner, elapsed time) on slow
// targets.
const refreshEvery = 200 * time.Millisecond

// spinner is the sequence of frames shown before the description.
var spinner = [...]string{"|", "/", "-", "\\"}

// progress draws a progress bar on stderr while a check runs: a spinner,
// done/total, failures so far, the rate, the elapsed time and the time
// left. It draws nothing unless stdout and stderr are terminals, TERM is not
// "dumb", CI is not set, --quiet is not given and there is more than one
// target. It appears as soon as the check starts and is redrawn every
// refreshEvery, even while no target completes. A nil *progress does
// nothing.
type progress struct {
	ios *iostreams.IOStreams

	mu      sync.Mutex
	bar     *progressbar.ProgressBar
	total   int  // targets known: arguments plus the counted list
	exact   bool // total is final (no list on stdin)
	seen    int  // targets handed to the runner so far
	done    int
	failed  int
	frame   int // spinner frame
	stopped bool
	stop    chan struct{}
	ticker  sync.WaitGroup
}

// progressWanted reports whether a progress bar may be drawn at all: never
// when stdout is not a terminal (results piped into another program on the
// same terminal would be garbled), nor on a dumb terminal, nor in CI or with
// --quiet.
func progressWanted(ios *iostreams.IOStreams, o *checkOptions) bool {
	if o.UX.Quiet || !ios.IsStderrTTY() || !ios.IsStdoutTTY() || ios.DumbTerminal() {
		return false
	}
	switch strings.ToLower(strings.TrimSpace(getenv(ios)("CI"))) {
	case "", "0", "false", "no":
		return true
	}
	return false
}

// startProgress draws the progress bar of a check at once, when one may be
// drawn and more than one target is (or may be) coming, and starts its
// refresh. It routes ios.Out through the bar so that streamed results never
// land in the middle of it.
func startProgress(o *checkOptions) *progress {
	ios := o.IO
	if !progressWanted(ios, o) {
		return nil
	}
	p := &progress{ios: ios, total: len(o.Targets), exact: true, stop: make(chan struct{})}
	for _, name := range o.Files {
		if name == "-" {
			p.exact = false
		} else if n, err := countList(name); err == nil {
			p.total += n
		} else {
			p.exact = false
		}
	}
	if p.exact && p.total < 2 {
		return nil
	}
	ios.Out = &clearingWriter{w: ios.Out, p: p}
	p.bar = progressbar.NewOptions(max(p.total, 1),
		progressbar.OptionSetWriter(ios.ErrOut),
		progressbar.OptionUseANSICodes(true),
		progressbar.OptionEnableColorCodes(ios.StderrColorEnabled()),
		progressbar.OptionSetWidth(20),
		progressbar.OptionShowCount(),
		progressbar.OptionShowIts(),
		progressbar.OptionSetItsString("targets"),
		progressbar.OptionSetElapsedTime(true),
		progressbar.OptionSetPredictTime(true),
		progressbar.OptionClearOnFinish(),
	)
	p.mu.Lock()
	p.redraw()
	p.mu.Unlock()
	p.ticker.Add(1)
	go p.refresh()
	return p
}

// refresh redraws the bar every refreshEvery until finish.
func (p *progress) refresh() {
	defer p.ticker.Done()
	t := time.NewTicker(refreshEvery)
	defer t.Stop()
	for {
		select {
		case <-p.stop:
			return
		case <-t.C:
			p.mu.Lock()
			if !p.stopped {
				p.frame++
				p.redraw()
			}
			p.mu.Unlock()
		}
	}
}

// redraw updates the bar's total and description and draws it; p.mu is
// held.
func (p *progress) redraw() {
	total := max(p.total, p.seen, p.done, 1)
	if p.bar.GetMax() != total {
		p.bar.ChangeMax(total)
	}
	desc := spinner[p.frame%len(spinner)] + " checking"
	if !p.exact {
		desc += " (more to read)"
	}
	if p.failed > 0 {
		desc += fmt.Sprintf(", %d failed", p.failed)
	}
	p.bar.Describe(desc)
	if p.done == 0 {
		_ = p.bar.RenderBlank()
		return
	}
	_ = p.bar.Set(p.done) // draws, even when done is unchanged
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
	if !p.stopped {
		p.redraw()
	}
}

// finish stops the refresh and removes the bar before the results are
// printed.
func (p *progress) finish() {
	if p == nil {
		return
	}
	p.mu.Lock()
	if p.stopped {
		p.mu.Unlock()
		return
	}
	p.stopped = true
	close(p.stop)
	p.mu.Unlock()
	p.ticker.Wait()
	p.mu.Lock()
	defer p.mu.Unlock()
	_ = p.bar.Exit()
	_ = p.bar.Clear()
}

// clearingWriter clears the progress bar before each write to stdout, when
// stdout and stderr share a terminal; the next update draws it again.
type clearingWriter struct {
	w io.Writer
	p *progress
}

func (c *clearingWriter) Write(b []byte) (int, error) {
	c.p.mu.Lock()
	if !c.p.stopped {
		_ = c.p.bar.Clear()
	}
	c.p.mu.Unlock()
	return c.w.Write(b)
}
