package main

import (
	"fmt"
	"os"

	"github.com/spf13/cobra"
	"github.com/spf13/cobra/doc"

	"github.com/certgate/certgate/pkg/iostreams"
)

// newManCmd is the hidden `certgate man --dir DIR`: it writes a man page for
// every command, generated from the Cobra commands themselves, for release
// archives (scripts/genman runs it). SOURCE_DATE_EPOCH fixes the date in the
// pages, for reproducible builds.
func newManCmd(ios *iostreams.IOStreams) *cobra.Command {
	var dir string
	cmd := &cobra.Command{
		Use:    "man --dir DIR",
		Short:  "Write man pages for every command into a directory",
		Hidden: true,
		Args:   noArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if dir == "" {
				return usagef("man: --dir is required (try certgate man --dir build/man)")
			}
			if err := os.MkdirAll(dir, 0o755); err != nil {
				return usagef("man: --dir %s: %v", dir, err)
			}
			root := cmd.Root()
			root.DisableAutoGenTag = true
			v, _, _ := buildInfo()
			header := &doc.GenManHeader{
				Title:   "CERTGATE",
				Section: "1",
				Source:  "certgate " + v,
				Manual:  "certgate manual",
			}
			if err := doc.GenManTree(root, header, dir); err != nil {
				return fmt.Errorf("man: writing pages to %s: %w", dir, err)
			}
			fmt.Fprintf(ios.ErrOut, "certgate: man pages written to %s\n", dir)
			return nil
		},
	}
	cmd.Flags().StringVar(&dir, "dir", "", "write the pages into `DIR` (created if missing)")
	_ = cmd.MarkFlagDirname("dir")
	return cmd
}
