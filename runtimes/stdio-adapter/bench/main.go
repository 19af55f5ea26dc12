// Command bench prints the stdio adapter's figures next to the same server called over stdio
// directly and next to supergateway (stateful and stateless streamable HTTP), in one run:
// added latency per tools/call (p50/p95), session start time against the child's own start,
// and processes left behind after 50 sessions and after the bridge is stopped.
//
// Run it through bench/run.sh, which installs the pinned servers and the peer first.
package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"syscall"
	"time"
)

var (
	calls    = flag.Int("calls", 1000, "tools/call round trips measured per bridge")
	starts   = flag.Int("starts", 10, "session starts measured per bridge")
	sessions = flag.Int("sessions", 50, "sessions opened and closed before processes are counted")
	cache    = flag.String("cache", "", "the install-servers.sh cache directory")
	adapter  = flag.String("adapter", "", "the kaos-stdio-adapter binary")
)

const initBody = `{"jsonrpc":"2.0","id":0,"method":"initialize","params":{"protocolVersion":"2025-11-25","capabilities":{},"clientInfo":{"name":"bench","version":"1"}}}`

func echoBody(id int) string {
	return fmt.Sprintf(`{"jsonrpc":"2.0","id":%d,"method":"tools/call","params":{"name":"echo","arguments":{"message":"bench"}}}`, id)
}

func main() {
	flag.Parse()
	if *cache == "" || *adapter == "" {
		fmt.Fprintln(os.Stderr, "bench: -cache and -adapter are required (use bench/run.sh)")
		os.Exit(2)
	}
	everything := filepath.Join(*cache, "npm", "node_modules", "@modelcontextprotocol", "server-everything", "dist", "index.js")
	sg := filepath.Join(*cache, "bench", "node_modules", "supergateway", "dist", "index.js")
	node, err := exec.LookPath("node")
	must(err)
	child := []string{node, everything, "stdio"}

	fmt.Printf("server: @modelcontextprotocol/server-everything over stdio, tool echo; %d calls, %d starts, %d sessions\n\n", *calls, *starts, *sessions)

	direct := directLatency(child, *calls)
	childStart := median(repeat(*starts, func() time.Duration { return directStart(child) }))

	type bridge struct {
		name      string
		argv      []string
		health    string
		stateless bool
	}
	sgCmd := strings.Join(child, " ")
	bridges := []bridge{
		{"kaos-stdio-adapter shared", append([]string{*adapter, "--mode", "shared", "--host", "127.0.0.1", "--port", "PORT", "--"}, child...), "/readyz", false},
		{"kaos-stdio-adapter per-session", append([]string{*adapter, "--mode", "per-session", "--host", "127.0.0.1", "--port", "PORT", "--"}, child...), "/readyz", false},
		{"supergateway stateful", []string{node, sg, "--stdio", sgCmd, "--outputTransport", "streamableHttp", "--stateful", "--port", "PORT", "--logLevel", "none", "--healthEndpoint", "/healthz"}, "/healthz", false},
		{"supergateway stateless", []string{node, sg, "--stdio", sgCmd, "--outputTransport", "streamableHttp", "--port", "PORT", "--logLevel", "none", "--healthEndpoint", "/healthz"}, "/healthz", true},
	}

	fmt.Printf("%-32s %10s %10s %12s %12s %14s %10s %10s\n", "", "call p50", "call p95", "added p50", "added p95", "session start", "vs child", "left 50/stop")
	fmt.Printf("%-32s %10s %10s %12s %12s %14s %10s %10s\n", "stdio directly (no bridge)", ms(pct(direct, 50)), ms(pct(direct, 95)), "-", "-", ms(childStart), "1.00x", "-")
	for _, b := range bridges {
		port := freePort()
		argv := make([]string, len(b.argv))
		for i, a := range b.argv {
			argv[i] = strings.ReplaceAll(a, "PORT", strconv.Itoa(port))
		}
		base := fmt.Sprintf("http://127.0.0.1:%d", port)
		cmd := exec.Command(argv[0], argv[1:]...)
		cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
		cmd.Stdout, cmd.Stderr = io.Discard, io.Discard
		must(cmd.Start())
		if !waitOK(base+b.health, 60*time.Second) {
			fmt.Printf("%-32s did not become healthy\n", b.name)
			_ = cmd.Process.Kill()
			_ = cmd.Wait()
			continue
		}
		url := base + "/mcp"
		n := *calls
		if b.stateless && n > 100 {
			n = 100 // a child per request: 1000 of them would take minutes and say nothing new
		}
		lat := httpLatency(url, b.stateless, n)
		start := median(repeat(*starts, func() time.Duration { return sessionStart(url, b.stateless) }))
		left, all := leftAfterSessions(cmd.Process.Pid, url, b.stateless, *sessions)
		_ = cmd.Process.Signal(syscall.SIGTERM)
		done := make(chan struct{})
		go func() { _ = cmd.Wait(); close(done) }()
		select {
		case <-done:
		case <-time.After(15 * time.Second):
			_ = cmd.Process.Kill()
			<-done
		}
		time.Sleep(500 * time.Millisecond)
		afterStop := 0
		for _, pid := range all {
			if alive(pid) {
				afterStop++
			}
		}
		fmt.Printf("%-32s %10s %10s %12s %12s %14s %9.2fx %10s\n", b.name, ms(pct(lat, 50)), ms(pct(lat, 95)),
			ms(pct(lat, 50)-pct(direct, 50)), ms(pct(lat, 95)-pct(direct, 95)), ms(start),
			float64(start)/float64(childStart), fmt.Sprintf("%d/%d", left, afterStop))
		// Whatever the peer left behind must not skew the next bridge's figures.
		for _, pid := range all {
			if alive(pid) {
				_ = syscall.Kill(pid, syscall.SIGKILL)
			}
		}
		_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
	}
	fmt.Println()
	fmt.Println("call p50/p95: one tools/call round trip (sequential, keep-alive); added = bridge minus stdio directly; supergateway stateless: 100 calls, as it starts a child per request.")
	fmt.Println("session start: initialize answered (per-session bridges start a child for it); vs child = against the child's own start-to-initialized.")
	fmt.Println("left 50/stop: processes under the bridge beyond its idle count after 50 sessions were opened and closed / processes still alive after the bridge got SIGTERM.")
}

func must(err error) {
	if err != nil {
		fmt.Fprintln(os.Stderr, "bench:", err)
		os.Exit(1)
	}
}

func ms(d time.Duration) string { return fmt.Sprintf("%.3f ms", float64(d)/1e6) }

func pct(d []time.Duration, p int) time.Duration {
	s := append([]time.Duration(nil), d...)
	sort.Slice(s, func(i, j int) bool { return s[i] < s[j] })
	i := len(s) * p / 100
	if i >= len(s) {
		i = len(s) - 1
	}
	return s[i]
}

func median(d []time.Duration) time.Duration { return pct(d, 50) }

func repeat(n int, f func() time.Duration) []time.Duration {
	out := make([]time.Duration, 0, n)
	for i := 0; i < n; i++ {
		out = append(out, f())
	}
	return out
}

func freePort() int {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	must(err)
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port
}

func waitOK(url string, timeout time.Duration) bool {
	deadline := time.Now().Add(timeout)
	for time.Now().Before(deadline) {
		if r, err := http.Get(url); err == nil {
			r.Body.Close()
			if r.StatusCode == 200 {
				return true
			}
		}
		time.Sleep(50 * time.Millisecond)
	}
	return false
}

type stdioChild struct {
	cmd *exec.Cmd
	in  io.WriteCloser
	out *bufio.Reader
}

func startStdio(argv []string) *stdioChild {
	cmd := exec.Command(argv[0], argv[1:]...)
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	in, err := cmd.StdinPipe()
	must(err)
	out, err := cmd.StdoutPipe()
	must(err)
	cmd.Stderr = io.Discard
	must(cmd.Start())
	return &stdioChild{cmd: cmd, in: in, out: bufio.NewReaderSize(out, 1<<20)}
}

// roundTrip writes one message and reads lines until the response with that id arrives.
func (c *stdioChild) roundTrip(body string, id string) {
	_, err := io.WriteString(c.in, body+"\n")
	must(err)
	for {
		line, err := c.out.ReadBytes('\n')
		must(err)
		var m struct {
			ID json.RawMessage `json:"id"`
		}
		if json.Unmarshal(line, &m) == nil && string(m.ID) == id {
			return
		}
	}
}

func (c *stdioChild) stop() {
	c.in.Close()
	_ = syscall.Kill(-c.cmd.Process.Pid, syscall.SIGKILL)
	_ = c.cmd.Wait()
}

func directStart(argv []string) time.Duration {
	t0 := time.Now()
	c := startStdio(argv)
	c.roundTrip(initBody, "0")
	d := time.Since(t0)
	c.stop()
	return d
}

func directLatency(argv []string, n int) []time.Duration {
	c := startStdio(argv)
	defer c.stop()
	c.roundTrip(initBody, "0")
	_, _ = io.WriteString(c.in, `{"jsonrpc":"2.0","method":"notifications/initialized"}`+"\n")
	for i := 1; i <= 100; i++ { // warm up the JIT as for every bridge
		c.roundTrip(echoBody(i), strconv.Itoa(i))
	}
	out := make([]time.Duration, 0, n)
	for i := 0; i < n; i++ {
		id := 1000 + i
		t0 := time.Now()
		c.roundTrip(echoBody(id), strconv.Itoa(id))
		out = append(out, time.Since(t0))
	}
	return out
}

var hc = &http.Client{Timeout: 60 * time.Second, Transport: &http.Transport{MaxIdleConnsPerHost: 4}}

func post(url, sid, body string) (*http.Response, []byte) {
	req, _ := http.NewRequest(http.MethodPost, url, strings.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "application/json, text/event-stream")
	if sid != "" {
		req.Header.Set("Mcp-Session-Id", sid)
		req.Header.Set("MCP-Protocol-Version", "2025-11-25")
	}
	resp, err := hc.Do(req)
	must(err)
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	return resp, b
}

func initialize(url string) string {
	resp, b := post(url, "", initBody)
	if resp.StatusCode != 200 || !bytes.Contains(b, []byte(`"result"`)) {
		must(fmt.Errorf("initialize: HTTP %d %s", resp.StatusCode, b))
	}
	sid := resp.Header.Get("Mcp-Session-Id")
	post(url, sid, `{"jsonrpc":"2.0","method":"notifications/initialized"}`)
	return sid
}

func deleteSession(url, sid string) {
	if sid == "" {
		return
	}
	req, _ := http.NewRequest(http.MethodDelete, url, nil)
	req.Header.Set("Mcp-Session-Id", sid)
	if resp, err := hc.Do(req); err == nil {
		resp.Body.Close()
	}
}

func httpLatency(url string, stateless bool, n int) []time.Duration {
	sid := ""
	if !stateless {
		sid = initialize(url)
		defer deleteSession(url, sid)
	}
	call := func(id int) {
		resp, b := post(url, sid, echoBody(id))
		if resp.StatusCode != 200 || !bytes.Contains(b, []byte("Echo: bench")) {
			must(fmt.Errorf("tools/call: HTTP %d %.200s", resp.StatusCode, b))
		}
	}
	for i := 1; i <= 100 && i <= n; i++ {
		call(i)
	}
	out := make([]time.Duration, 0, n)
	for i := 0; i < n; i++ {
		t0 := time.Now()
		call(1000 + i)
		out = append(out, time.Since(t0))
	}
	return out
}

func sessionStart(url string, stateless bool) time.Duration {
	t0 := time.Now()
	resp, b := post(url, "", initBody)
	d := time.Since(t0)
	if resp.StatusCode != 200 || !bytes.Contains(b, []byte(`"result"`)) {
		must(fmt.Errorf("initialize: HTTP %d %s", resp.StatusCode, b))
	}
	deleteSession(url, resp.Header.Get("Mcp-Session-Id"))
	return d
}

// leftAfterSessions opens and closes sessions like well-behaved clients (initialize, a call,
// DELETE) and counts the processes under the bridge beyond those it had before. It also
// returns every process seen under the bridge, to check after the bridge is stopped.
func leftAfterSessions(root int, url string, stateless bool, n int) (int, []int) {
	seen := map[int]bool{}
	note := func() []int {
		d := descendants(root)
		for _, p := range d {
			seen[p] = true
		}
		return d
	}
	before := len(note())
	for i := 0; i < n; i++ {
		sid := ""
		if !stateless {
			sid = initialize(url)
		}
		post(url, sid, echoBody(1))
		note()
		deleteSession(url, sid)
	}
	time.Sleep(2 * time.Second)
	after := len(note())
	all := make([]int, 0, len(seen))
	for p := range seen {
		all = append(all, p)
	}
	left := after - before
	if left < 0 {
		left = 0
	}
	return left, all
}

func alive(pid int) bool {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return false
	}
	s := string(b)
	i := strings.LastIndexByte(s, ')')
	return i > 0 && i+2 < len(s) && s[i+2] != 'Z'
}

func descendants(root int) []int {
	children := map[int][]int{}
	entries, _ := os.ReadDir("/proc")
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		b, err := os.ReadFile("/proc/" + e.Name() + "/stat")
		if err != nil {
			continue
		}
		s := string(b)
		i := strings.LastIndexByte(s, ')')
		if i < 0 || i+2 >= len(s) {
			continue
		}
		f := strings.Fields(s[i+2:])
		if len(f) < 2 || f[0] == "Z" {
			continue
		}
		ppid, _ := strconv.Atoi(f[1])
		children[ppid] = append(children[ppid], pid)
	}
	var out []int
	stack := []int{root}
	for len(stack) > 0 {
		p := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		out = append(out, children[p]...)
		stack = append(stack, children[p]...)
	}
	return out
}
