// Command genman writes certgate's man pages and shell completions into a
// directory, for the release archives:
//
//	go run ./scripts/genman            # into build/man and build/completions
//	go run ./scripts/genman -out DIR
//
// The pages are generated from the Cobra commands themselves (with
// github.com/spf13/cobra/doc) by the hidden `certgate man --dir DIR`
// command; the completions by `certgate completion SHELL`. genman builds the
// binary once and runs it, so cmd/certgate can stay a main package. Set
// SOURCE_DATE_EPOCH to fix the date printed in the pages.
package main

import (
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
)

func main() {
	out := flag.String("out", "build", "write man/ and completions/ into `DIR`")
	flag.Parse()
	if err := run(*out); err != nil {
		fmt.Fprintf(os.Stderr, "genman: %v\n", err)
		os.Exit(1)
	}
}

func run(out string) error {
	tmp, err := os.MkdirTemp("", "genman")
	if err != nil {
		return err
	}
	defer os.RemoveAll(tmp)
	bin := filepath.Join(tmp, "certgate")
	if runtime.GOOS == "windows" {
		bin += ".exe"
	}
	build := exec.Command("go", "build", "-o", bin, "./cmd/certgate")
	build.Stdout, build.Stderr = os.Stderr, os.Stderr
	if err := build.Run(); err != nil {
		return fmt.Errorf("building certgate (run genman from the repository root): %w", err)
	}

	manDir := filepath.Join(out, "man")
	if err := os.RemoveAll(manDir); err != nil {
		return err
	}
	man := exec.Command(bin, "man", "--dir", manDir)
	man.Stdout, man.Stderr = os.Stderr, os.Stderr
	if err := man.Run(); err != nil {
		return fmt.Errorf("writing man pages: %w", err)
	}

	compDir := filepath.Join(out, "completions")
	if err := os.MkdirAll(compDir, 0o755); err != nil {
		return err
	}
	for shell, name := range map[string]string{
		"bash":       "certgate.bash",
		"zsh":        "_certgate",
		"fish":       "certgate.fish",
		"powershell": "certgate.ps1",
	} {
		script, err := exec.Command(bin, "completion", shell).Output()
		if err != nil {
			return fmt.Errorf("completion %s: %w", shell, err)
		}
		if err := os.WriteFile(filepath.Join(compDir, name), script, 0o644); err != nil {
			return err
		}
	}
	fmt.Fprintf(os.Stderr, "genman: wrote %s and %s\n", manDir, compDir)
	return nil
}
