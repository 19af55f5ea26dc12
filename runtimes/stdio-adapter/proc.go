package main

import (
	"bufio"
	"fmt"
	"io"
	"os"
	"os/exec"
	"os/signal"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"
)

// One goroutine reaps every child of this process (wait4(-1)), so that grandchildren that are
// orphaned onto the adapter (it is a child subreaper, or PID 1 in a container) are reaped too.
// Children are therefore started with syscall.ForkExec and never waited for by os/exec.
type reaper struct {
	mu      sync.Mutex
	waiters map[int]chan syscall.WaitStatus
}

var procs = &reaper{waiters: map[int]chan syscall.WaitStatus{}}

const prSetChildSubreaper = 36

func startReaper() {
	// Orphaned grandchildren come to us instead of to the node's init, so we can reap and kill them.
	_, _, _ = syscall.RawSyscall(syscall.SYS_PRCTL, prSetChildSubreaper, 1, 0)
	ch := make(chan os.Signal, 1)
	signal.Notify(ch, syscall.SIGCHLD)
	go func() {
		// The ticker covers a SIGCHLD coalesced with one that arrived while we were reaping.
		t := time.NewTicker(time.Second)
		for {
			select {
			case <-ch:
			case <-t.C:
			}
			procs.reapAll()
		}
	}()
}

func (r *reaper) reapAll() {
	for {
		var ws syscall.WaitStatus
		pid, err := syscall.Wait4(-1, &ws, syscall.WNOHANG, nil)
		if err == syscall.EINTR {
			continue
		}
		if pid <= 0 || err != nil {
			return
		}
		r.mu.Lock()
		if c, ok := r.waiters[pid]; ok {
			c <- ws
			delete(r.waiters, pid)
		}
		r.mu.Unlock()
	}
}

// proc is one child process: the leader of its own process group.
type proc struct {
	pid    int
	stdin  *os.File
	stdout *os.File
	stderr *os.File
	done   chan struct{} // closed once the leader has been reaped
	status syscall.WaitStatus
}

func spawn(argv []string, env []string) (*proc, error) {
	path, err := exec.LookPath(argv[0])
	if err != nil {
		return nil, fmt.Errorf("cannot run %q: %v (is it installed and on PATH?)", argv[0], err)
	}
	inR, inW, err := os.Pipe()
	if err != nil {
		return nil, err
	}
	outR, outW, err := os.Pipe()
	if err != nil {
		inR.Close()
		inW.Close()
		return nil, err
	}
	errR, errW, err := os.Pipe()
	if err != nil {
		inR.Close()
		inW.Close()
		outR.Close()
		outW.Close()
		return nil, err
	}
	attr := &syscall.ProcAttr{
		Env:   env,
		Files: []uintptr{inR.Fd(), outW.Fd(), errW.Fd()},
		Sys: &syscall.SysProcAttr{
			// Its own group so one kill reaches the grandchildren (npx → node, uvx → python).
			Setpgid: true,
			// If the adapter is killed outright the child does not outlive it.
			Pdeathsig: syscall.SIGKILL,
		},
	}
	wait := make(chan syscall.WaitStatus, 1)
	procs.mu.Lock()
	pid, err := syscall.ForkExec(path, argv, attr)
	if err == nil {
		procs.waiters[pid] = wait
	}
	procs.mu.Unlock()
	inR.Close()
	outW.Close()
	errW.Close()
	if err != nil {
		inW.Close()
		outR.Close()
		errR.Close()
		return nil, fmt.Errorf("cannot start %q: %v", argv[0], err)
	}
	p := &proc{pid: pid, stdin: inW, stdout: outR, stderr: errR, done: make(chan struct{})}
	go func() {
		p.status = <-wait
		close(p.done)
	}()
	return p, nil
}

func (p *proc) alive() bool {
	select {
	case <-p.done:
		return false
	default:
		return true
	}
}

// stop ends the child's whole process group: stdin closed and SIGTERM, then SIGKILL for
// whatever is left after grace. It returns once the leader is reaped and the group is empty
// (or a bounded wait for the kernel to finish has passed).
func (p *proc) stop(grace time.Duration) {
	p.stdin.Close()
	_ = syscall.Kill(-p.pid, syscall.SIGTERM)
	deadline := time.Now().Add(grace)
	for time.Now().Before(deadline) {
		if !p.alive() && !groupAlive(p.pid) {
			return
		}
		select {
		case <-p.done:
		case <-time.After(20 * time.Millisecond):
		}
	}
	_ = syscall.Kill(-p.pid, syscall.SIGKILL)
	killDeadline := time.Now().Add(5 * time.Second)
	for time.Now().Before(killDeadline) {
		if !p.alive() && !groupAlive(p.pid) {
			return
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// groupAlive tells whether any live (non-zombie) process is still in process group pgid.
func groupAlive(pgid int) bool {
	found := false
	walkProc(func(pid, ppid, pgrp int, state byte) {
		if pgrp == pgid && state != 'Z' {
			found = true
		}
	})
	return found
}

// walkProc calls fn for every process in /proc with its parent, process group and state.
func walkProc(fn func(pid, ppid, pgrp int, state byte)) {
	d, err := os.Open("/proc")
	if err != nil {
		return
	}
	names, _ := d.Readdirnames(-1)
	d.Close()
	for _, n := range names {
		pid, err := strconv.Atoi(n)
		if err != nil {
			continue
		}
		b, err := os.ReadFile("/proc/" + n + "/stat")
		if err != nil {
			continue
		}
		// The command name may contain spaces and parentheses: fields start after the last ')'.
		s := string(b)
		i := strings.LastIndexByte(s, ')')
		if i < 0 || i+2 >= len(s) {
			continue
		}
		f := strings.Fields(s[i+2:])
		if len(f) < 3 {
			continue
		}
		ppid, _ := strconv.Atoi(f[1])
		pgrp, _ := strconv.Atoi(f[2])
		fn(pid, ppid, pgrp, f[0][0])
	}
}

// descendants lists the live processes below root.
func descendants(root int) []int {
	children := map[int][]int{}
	state := map[int]byte{}
	walkProc(func(pid, ppid, pgrp int, st byte) {
		children[ppid] = append(children[ppid], pid)
		state[pid] = st
	})
	var out []int
	stack := []int{root}
	for len(stack) > 0 {
		p := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		for _, c := range children[p] {
			if state[c] != 'Z' {
				out = append(out, c)
			}
			stack = append(stack, c)
		}
	}
	return out
}

// killAllDescendants is the last sweep before the adapter exits: anything still below us
// (a grandchild that left its group with setsid, say) gets SIGKILL and is reaped.
func killAllDescendants() {
	self := os.Getpid()
	deadline := time.Now().Add(3 * time.Second)
	for time.Now().Before(deadline) {
		left := descendants(self)
		if len(left) == 0 {
			return
		}
		for _, pid := range left {
			_ = syscall.Kill(pid, syscall.SIGKILL)
		}
		time.Sleep(20 * time.Millisecond)
		procs.reapAll()
	}
}

// pipeLines copies r to w line by line with prefix, so that lines from several children
// never interleave mid-line. Over-long lines are cut into pieces rather than buffered whole.
var stderrMu sync.Mutex

func pipeLines(r io.Reader, w io.Writer, prefix string) {
	br := bufio.NewReaderSize(r, 64*1024)
	for {
		line, err := br.ReadSlice('\n')
		if len(line) > 0 {
			stderrMu.Lock()
			_, _ = io.WriteString(w, prefix)
			_, _ = w.Write(line)
			if line[len(line)-1] != '\n' {
				_, _ = w.Write([]byte{'\n'})
			}
			stderrMu.Unlock()
		}
		if err != nil && err != bufio.ErrBufferFull {
			return
		}
	}
}
