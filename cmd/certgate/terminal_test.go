package main

import (
	"bytes"
	"errors"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"syscall"
	"testing"

	"github.com/creack/pty"
	"github.com/mattn/go-runewidth"

	"github.com/certgate/certgate/internal/testpki"
)

// ansi matches the escape sequences certgate and its progress bar send.
var ansi = regexp.MustCompile(`\x1b\[[0-9;?]*[A-Za-z]`)

// sgr matches colour (Select Graphic Rendition) sequences only.
var sgr = regexp.MustCompile(`\x1b\[[0-9;]*m`)

// ptyRun is one run of the certgate binary with stdin and stderr on a
// pseudo-terminal, and stdout on it too unless piped is set.
type ptyRun struct {
	cols, rows uint16
	env        []string
	args       []string
	piped      bool
	// watch, when set, is called with the terminal output read so far
	// after each read, until it returns true.
	watch func(screen string) bool
}

// run starts the binary, reads the terminal until the program exits, and
// returns what the terminal received and what went to the stdout pipe.
func (r ptyRun) run(t *testing.T, bin string) (screen, piped string, code int) {
	t.Helper()
	ptmx, tty, err := pty.Open()
	if err != nil {
		t.Skipf("no pseudo-terminal: %v", err)
	}
	defer ptmx.Close()
	if err := pty.Setsize(ptmx, &pty.Winsize{Cols: r.cols, Rows: r.rows}); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(bin, r.args...)
	cmd.Env = append([]string{"PATH=" + os.Getenv("PATH"), "HOME=" + t.TempDir()}, r.env...)
	cmd.Stdin, cmd.Stdout, cmd.Stderr = tty, tty, tty
	var out bytes.Buffer
	if r.piped {
		cmd.Stdout = &out
	}
	cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true, Setctty: true}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	tty.Close()

	var mu sync.Mutex
	var buf bytes.Buffer
	read := make(chan struct{})
	go func() {
		defer close(read)
		watching := r.watch != nil
		b := make([]byte, 4096)
		for {
			n, err := ptmx.Read(b)
			mu.Lock()
			buf.Write(b[:n])
			s := buf.String()
			mu.Unlock()
			if watching && r.watch(s) {
				watching = false
			}
			if err != nil {
				return // EIO once the program and its terminal are gone
			}
		}
	}()
	werr := cmd.Wait()
	<-read
	var exit *exec.ExitError
	switch {
	case werr == nil:
	case errors.As(werr, &exit):
		code = exit.ExitCode()
	default:
		t.Fatal(werr)
	}
	// The terminal turns "\n" into "\r\n".
	return strings.ReplaceAll(buf.String(), "\r\n", "\n"), out.String(), code
}

// screenLines returns the lines as a terminal shows them: escape sequences
// removed and a carriage return going back to the start of the line.
func screenLines(s string) []string {
	var lines []string
	for _, l := range strings.Split(ansi.ReplaceAllString(s, ""), "\n") {
		if i := strings.LastIndexByte(l, '\r'); i >= 0 {
			l = l[i+1:]
		}
		lines = append(lines, l)
	}
	return lines
}

// TestTerminal runs the certgate binary on a pseudo-terminal against TLS
// servers on loopback and reads what a user would see.
func TestTerminal(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary")
	}
	bin := filepath.Join(t.TempDir(), "certgate")
	build := exec.Command("go", "build", "-o", bin, ".")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	p := newPKI(t, "Terminal")
	const long = "valid-endpoint-with-a-rather-long-name.certgate.test"
	okAddr := testpki.ServeCert(t, p.inter.Leaf(t, testpki.DNS(long)), p.inter.Cert)
	badAddr := testpki.ServeCert(t, p.inter.Leaf(t, testpki.DNS("other.test")), p.inter.Cert)
	okT, okR := hostTarget(okAddr, long)
	badT, badR := hostTarget(badAddr, long)
	check := []string{"check", epochArg, "--store", p.store, okR, okT, badR, badT}
	xterm := []string{"TERM=xterm-256color"}

	t.Run("table fills the terminal", func(t *testing.T) {
		for _, size := range []struct{ cols, rows uint16 }{{200, 50}, {80, 24}} {
			screen, _, code := ptyRun{cols: size.cols, rows: size.rows, env: xterm, args: check}.run(t, bin)
			if code != 1 {
				t.Errorf("%d columns: exit %d, want 1:\n%s", size.cols, code, screen)
			}
			if !strings.Contains(screen, "checking") {
				t.Errorf("%d columns: no progress bar, so the width is not measured under one:\n%q", size.cols, screen)
			}
			// Every frame of the bar fits on one line: a wrapped frame
			// is not erased by the next one.
			for _, f := range strings.FieldsFunc(ansi.ReplaceAllString(screen, ""), func(r rune) bool { return r == '\r' || r == '\n' }) {
				if w := runewidth.StringWidth(f); w > int(size.cols) {
					t.Errorf("%d columns: a frame is %d wide: %q", size.cols, w, f)
				}
			}
			rows := 0
			for _, l := range screenLines(screen) {
				if w := runewidth.StringWidth(l); w > int(size.cols) {
					t.Errorf("%d columns: line is %d wide: %q", size.cols, w, l)
				}
				if !strings.HasPrefix(l, "https://valid") {
					continue
				}
				rows++
				full := strings.HasPrefix(l, okT+" ") || strings.HasPrefix(l, badT+" ")
				if size.cols == 200 && !full {
					t.Errorf("200 columns: target cut although the terminal is wide: %q", l)
				}
				if size.cols == 80 && (full || !strings.Contains(l, "…")) {
					t.Errorf("80 columns: row not shortened to fit: %q", l)
				}
			}
			if rows != 2 {
				t.Errorf("%d columns: %d table rows, want 2:\n%s", size.cols, rows, strings.Join(screenLines(screen), "\n"))
			}
		}
	})

	t.Run("preflight shows the HTTP leg", func(t *testing.T) {
		_, hookT, hookR := hookServer(t, p, "hook.test", answer(204))
		args := []string{"preflight", epochArg, "--store", p.store, "--allow-private", "-v", hookR, hookT, okR, okT}
		screen, _, code := ptyRun{cols: 80, rows: 50, env: xterm, args: args}.run(t, bin)
		if code != 1 {
			t.Errorf("exit %d, want 1 (the check-only server answers no HTTP):\n%s", code, screen)
		}
		lines := screenLines(screen)
		text := strings.Join(lines, "\n")
		for _, want := range []string{"HTTP", "HEAD 204", "  http:\n    profile ", "    budgets  ", "first byte"} {
			if !strings.Contains(text, want) {
				t.Errorf("the terminal lacks %q:\n%s", want, text)
			}
		}
		_, table, _ := strings.Cut(text, "TARGET")
		table, _, _ = strings.Cut(table, "\n\n")
		for _, l := range strings.Split(table, "\n") {
			if runewidth.StringWidth(l) > 80 {
				t.Errorf("a table row is %d wide on an 80-column terminal: %q", runewidth.StringWidth(l), l)
			}
		}
	})

	t.Run("no bar when stdout is piped", func(t *testing.T) {
		screen, piped, _ := ptyRun{cols: 120, rows: 24, env: xterm, args: check, piped: true}.run(t, bin)
		if strings.Contains(screen, "checking") || strings.Contains(screen, "\x1b") {
			t.Errorf("terminal shows a bar or escape codes while stdout is piped:\n%q", screen)
		}
		if strings.Contains(piped, "\x1b") || !strings.HasPrefix(piped, "target\tstatus") {
			t.Errorf("piped stdout is not plain rows:\n%q", piped)
		}
	})

	t.Run("TERM=dumb sends no escape codes", func(t *testing.T) {
		screen, _, _ := ptyRun{cols: 120, rows: 24, env: []string{"TERM=dumb"}, args: check}.run(t, bin)
		if strings.Contains(screen, "\x1b") {
			t.Errorf("escape codes on a dumb terminal:\n%q", screen)
		}
		if !strings.Contains(screen, "TARGET") {
			t.Errorf("no table on a dumb terminal:\n%q", screen)
		}
	})

	t.Run("NO_COLOR sends no colour", func(t *testing.T) {
		screen, _, _ := ptyRun{cols: 120, rows: 24, env: append([]string{"NO_COLOR=1"}, xterm...), args: check}.run(t, bin)
		if m := sgr.FindString(screen); m != "" {
			t.Errorf("colour sequence %q with NO_COLOR:\n%q", m, screen)
		}
		if !strings.Contains(screen, "TARGET") {
			t.Errorf("no table:\n%q", screen)
		}
	})

	t.Run("bar moves while no target completes", func(t *testing.T) {
		// Two servers accept and say nothing until the test has seen the
		// bar redrawn twice; then they hang up and the check ends.
		release := make(chan struct{})
		var once sync.Once
		hold := func(net.Conn) {
			<-release
		}
		a := testpki.ServeRaw(t, hold)
		b := testpki.ServeRaw(t, hold)
		t.Cleanup(func() { once.Do(func() { close(release) }) })
		frame := regexp.MustCompile(`[^\r\n]*0/2[^\r\n]*`)
		var frames []string
		watch := func(screen string) bool {
			seen := map[string]bool{}
			for _, f := range frame.FindAllString(screen, -1) {
				seen[ansi.ReplaceAllString(f, "")] = true
			}
			if len(seen) < 2 {
				return false
			}
			for f := range seen {
				frames = append(frames, f)
			}
			once.Do(func() { close(release) })
			return true
		}
		args := []string{"check", epochArg, "--store", p.store, "--timeout", "20s", a, b}
		screen, _, code := ptyRun{cols: 120, rows: 24, env: xterm, args: args, watch: watch}.run(t, bin)
		if code != 1 {
			t.Errorf("exit %d, want 1", code)
		}
		if len(frames) < 2 {
			t.Fatalf("the bar was not drawn twice before a target completed:\n%q", screen)
		}
	})
}
