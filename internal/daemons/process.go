package daemons

import (
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// errExited is returned by waitReady when the daemon exits before its
// ports accept.
var errExited = errors.New("the daemon exited before its ports accepted connections")

// process is a started daemon: the leader of its own process group.
type process struct {
	cmd     *exec.Cmd
	pgid    int
	logPath string
	done    chan struct{}
	once    sync.Once
}

// launch starts cmd in a new session and process group, with its output in
// daemon.log in the daemon's directory.
func launch(cmd *exec.Cmd, e *env) (*process, error) {
	logPath := e.path("daemon.log")
	log, err := os.OpenFile(logPath, os.O_RDWR|os.O_CREATE|os.O_APPEND, 0o666)
	if err != nil {
		return nil, err
	}
	defer log.Close()
	cmd.Stdout, cmd.Stderr = log, log
	if e.stdinLog {
		cmd.Stdin = log
	}
	cmd.Dir = e.dir
	cmd.Env = append(os.Environ(), e.env...)
	if cmd.SysProcAttr == nil {
		cmd.SysProcAttr = &syscall.SysProcAttr{}
	}
	// A session of its own makes the daemon the leader of a new process
	// group, which stop kills as a whole. (Postfix's master calls setsid
	// itself, which fails for a process-group leader but not a session
	// leader.)
	cmd.SysProcAttr.Setsid = true
	// If the test binary dies, the daemon gets SIGKILL rather than
	// lingering (its own children still go by the group kill in stop).
	cmd.SysProcAttr.Pdeathsig = syscall.SIGKILL
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	p := &process{cmd: cmd, pgid: cmd.Process.Pid, logPath: logPath, done: make(chan struct{})}
	go func() {
		_ = cmd.Wait()
		close(p.done)
	}()
	return p, nil
}

// waitReady waits until every address accepts a TCP connection, the
// daemon exits (errExited), or timeout passes.
func (p *process) waitReady(addrs []string, timeout time.Duration) error {
	deadline := time.Now().Add(timeout)
	pending := append([]string(nil), addrs...)
	for len(pending) > 0 {
		select {
		case <-p.done:
			return fmt.Errorf("%w (%s)", errExited, p.cmd.ProcessState)
		default:
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("%s did not accept connections within %v", strings.Join(pending, ", "), timeout)
		}
		c, err := net.DialTimeout("tcp", pending[0], time.Second)
		if err != nil {
			time.Sleep(20 * time.Millisecond)
			continue
		}
		c.Close()
		pending = pending[1:]
	}
	return nil
}

// stop ends the daemon's whole process group: SIGTERM, then SIGKILL for
// what is left after a grace period; it reports on t any process of the
// group still alive after that. Later calls do nothing.
func (p *process) stop(t testing.TB) {
	p.once.Do(func() {
		_ = syscall.Kill(-p.pgid, syscall.SIGTERM)
		select {
		case <-p.done:
		case <-time.After(10 * time.Second):
		}
		// The leader is gone (or did not listen): kill whatever of the
		// group remains, children included, and wait for the leader.
		deadline := time.Now().Add(10 * time.Second)
		for {
			_ = syscall.Kill(-p.pgid, syscall.SIGKILL)
			<-p.done
			left := groupMembers(p.pgid)
			if len(left) == 0 {
				return
			}
			if time.Now().After(deadline) {
				t.Errorf("daemons: processes %v of %s (process group %d) still run after SIGKILL", left, filepath.Base(p.cmd.Path), p.pgid)
				return
			}
			time.Sleep(20 * time.Millisecond)
		}
	})
}

// groupMembers lists the live (not zombie) processes in process group
// pgid, from /proc.
func groupMembers(pgid int) []int {
	ents, err := os.ReadDir("/proc")
	if err != nil {
		return nil
	}
	var out []int
	for _, e := range ents {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		b, err := os.ReadFile(filepath.Join("/proc", e.Name(), "stat"))
		if err != nil {
			continue
		}
		// pid (comm) state ppid pgrp ...; comm may hold spaces and parens.
		s := string(b)
		i := strings.LastIndexByte(s, ')')
		if i < 0 {
			continue
		}
		f := strings.Fields(s[i+1:])
		if len(f) < 3 || f[0] == "Z" || f[0] == "X" {
			continue
		}
		if g, err := strconv.Atoi(f[2]); err == nil && g == pgid {
			out = append(out, pid)
		}
	}
	return out
}
