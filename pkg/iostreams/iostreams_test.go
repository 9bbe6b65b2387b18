package iostreams

import (
	"io"
	"testing"

	"github.com/creack/pty"
)

func TestTestStreams(t *testing.T) {
	ios, in, out, errOut := Test()
	if ios.IsStdinTTY() || ios.IsStdoutTTY() || ios.IsStderrTTY() {
		t.Fatal("Test() streams must not be terminals")
	}
	in.WriteString("input")
	b := make([]byte, 5)
	if _, err := ios.In.Read(b); err != nil || string(b) != "input" {
		t.Errorf("In reads %q, %v; want %q", b, err, "input")
	}
	ios.Out.Write([]byte("o"))
	ios.ErrOut.Write([]byte("e"))
	if out.String() != "o" || errOut.String() != "e" {
		t.Errorf("out=%q errOut=%q, want o and e", out, errOut)
	}
}

func TestColorEnabled(t *testing.T) {
	tests := []struct {
		name     string
		tty      bool
		noColor  string
		disabled bool
		want     bool
	}{
		{"tty", true, "", false, true},
		{"piped", false, "", false, false},
		{"NO_COLOR set", true, "1", false, false},
		{"NO_COLOR empty", true, "", false, true},
		{"--no-color", true, "", true, false},
		{"piped and NO_COLOR", false, "1", false, false},
		{"TERM=dumb", true, "", false, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ios, _, _, _ := Test()
			ios.Getenv = func(k string) string {
				switch {
				case k == "NO_COLOR":
					return tt.noColor
				case k == "TERM" && tt.name == "TERM=dumb":
					return "dumb"
				}
				return "xterm-256color"
			}
			ios.SetStdoutTTY(tt.tty)
			ios.SetStderrTTY(tt.tty)
			ios.SetColorDisabled(tt.disabled)
			if got := ios.ColorEnabled(); got != tt.want {
				t.Errorf("ColorEnabled() = %v, want %v", got, tt.want)
			}
			if got := ios.StderrColorEnabled(); got != tt.want {
				t.Errorf("StderrColorEnabled() = %v, want %v", got, tt.want)
			}
		})
	}
}

func TestColorPerStream(t *testing.T) {
	ios, _, _, _ := Test()
	ios.SetStdoutTTY(false)
	ios.SetStderrTTY(true)
	if ios.ColorEnabled() {
		t.Error("ColorEnabled() = true with stdout piped")
	}
	if !ios.StderrColorEnabled() {
		t.Error("StderrColorEnabled() = false with stderr a terminal")
	}
}

func TestTerminalWidth(t *testing.T) {
	ios, _, _, _ := Test()
	if got := ios.TerminalWidth(); got != DefaultWidth {
		t.Errorf("TerminalWidth() = %d, want %d", got, DefaultWidth)
	}
	ios.Getenv = func(k string) string {
		if k == "COLUMNS" {
			return "132"
		}
		return ""
	}
	if got := ios.TerminalWidth(); got != 132 {
		t.Errorf("TerminalWidth() with COLUMNS=132 = %d, want 132", got)
	}
	ios.SetTerminalWidth(100)
	if got := ios.TerminalWidth(); got != 100 {
		t.Errorf("TerminalWidth() after SetTerminalWidth(100) = %d, want 100", got)
	}
}

func TestSystem(t *testing.T) {
	ios := System()
	if ios.In == nil || ios.Out == nil || ios.ErrOut == nil || ios.Getenv == nil {
		t.Fatal("System() left a stream or Getenv nil")
	}
	if w := ios.TerminalWidth(); w <= 0 {
		t.Errorf("TerminalWidth() = %d, want > 0", w)
	}
}

// TestTerminalWidthWrappedOut checks that the width of a real terminal on
// standard output is measured even after Out is wrapped, as a progress bar
// that clears itself before each write does.
func TestTerminalWidthWrappedOut(t *testing.T) {
	for _, cols := range []uint16{200, 80, 132} {
		ptmx, tty, err := pty.Open()
		if err != nil {
			t.Skipf("no pseudo-terminal: %v", err)
		}
		t.Cleanup(func() { ptmx.Close(); tty.Close() })
		if err := pty.Setsize(ptmx, &pty.Winsize{Cols: cols, Rows: 50}); err != nil {
			t.Fatal(err)
		}
		ios := fromFiles(tty, tty, tty)
		ios.Getenv = func(string) string { return "" }
		if !ios.IsStdoutTTY() {
			t.Fatal("a pty is not taken for a terminal")
		}
		if got := ios.TerminalWidth(); got != int(cols) {
			t.Errorf("TerminalWidth() = %d, want %d", got, cols)
		}
		ios.Out = struct{ io.Writer }{ios.Out}
		if got := ios.TerminalWidth(); got != int(cols) {
			t.Errorf("TerminalWidth() with Out wrapped = %d, want %d", got, cols)
		}
	}
}
