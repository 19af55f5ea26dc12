package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// The tests run the real adapter binary against real stdio MCP servers that
// testdata/install-servers.sh installs into the cache directory.

var adapterBin string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "kaos-adapter-test-bin-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	adapterBin = filepath.Join(dir, "kaos-stdio-adapter")
	build := exec.Command("go", "build", "-trimpath", "-o", adapterBin, ".")
	build.Env = append(os.Environ(), "CGO_ENABLED=0")
	build.Stdout, build.Stderr = os.Stderr, os.Stderr
	if err := build.Run(); err != nil {
		fmt.Fprintln(os.Stderr, "building the adapter failed:", err)
		os.Exit(1)
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

func cacheDir() string {
	if d := os.Getenv("KAOS_ADAPTER_TEST_CACHE"); d != "" {
		return d
	}
	home, _ := os.UserHomeDir()
	return filepath.Join(home, ".cache", "kaos-adapter-test")
}

// server returns the command of an installed test server, or skips (fails under CI).
func testServer(t *testing.T, name string) string {
	t.Helper()
	var p string
	switch name {
	case "fetch":
		p = filepath.Join(cacheDir(), "venv", "bin", "mcp-server-fetch")
	default:
		p = filepath.Join(cacheDir(), "npm", "node_modules", ".bin", "mcp-server-"+name)
	}
	if _, err := os.Stat(p); err != nil {
		msg := fmt.Sprintf("!!! SKIPPED: the real MCP server %q is not installed at %s; run runtimes/stdio-adapter/testdata/install-servers.sh first !!!", name, p)
		if os.Getenv("CI") != "" {
			t.Fatal(msg)
		}
		t.Skip(msg)
	}
	return p
}

// adapter is one running adapter process.
type adapter struct {
	t    *testing.T
	cmd  *exec.Cmd
	base string // http://127.0.0.1:PORT
	url  string // base + /mcp
	mu   sync.Mutex
	log  bytes.Buffer
	done chan struct{}
	err  error
}

var servingRe = regexp.MustCompile(`serving http://([^/ ]+)(/\S*) `)

func startAdapter(t *testing.T, flags []string, command []string, env ...string) *adapter {
	t.Helper()
	a := tryStartAdapter(t, flags, command, env...)
	if !a.waitReady(90 * time.Second) {
		t.Fatalf("adapter did not become ready; its log:\n%s", a.logText())
	}
	return a
}

func tryStartAdapter(t *testing.T, flags []string, command []string, env ...string) *adapter {
	t.Helper()
	args := append([]string{"--host", "127.0.0.1", "--port", "0"}, flags...)
	args = append(append(args, "--"), command...)
	a := &adapter{t: t, done: make(chan struct{})}
	a.cmd = exec.Command(adapterBin, args...)
	a.cmd.Env = append(os.Environ(), env...)
	stderr, err := a.cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	a.cmd.Stdout = io.Discard
	if err := a.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	addr := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(stderr)
		sc.Buffer(make([]byte, 1<<20), 1<<20)
		for sc.Scan() {
			line := sc.Text()
			a.mu.Lock()
			a.log.WriteString(line + "\n")
			a.mu.Unlock()
			if m := servingRe.FindStringSubmatch(line); m != nil {
				select {
				case addr <- m[1] + "|" + m[2]:
				default:
				}
			}
		}
		a.err = a.cmd.Wait()
		close(a.done)
	}()
	t.Cleanup(func() { a.kill() })
	select {
	case v := <-addr:
		parts := strings.SplitN(v, "|", 2)
		a.base = "http://" + parts[0]
		a.url = a.base + parts[1]
	case <-a.done:
		return a
	case <-time.After(30 * time.Second):
		t.Fatalf("adapter did not start listening; its log:\n%s", a.logText())
	}
	return a
}

func (a *adapter) logText() string {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.log.String()
}

func (a *adapter) kill() {
	select {
	case <-a.done:
		return
	default:
	}
	_ = a.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-a.done:
	case <-time.After(20 * time.Second):
		_ = a.cmd.Process.Kill()
		<-a.done
	}
}

func (a *adapter) exitCode(timeout time.Duration) (int, bool) {
	select {
	case <-a.done:
		return a.cmd.ProcessState.ExitCode(), true
	case <-time.After(timeout):
		return 0, false
	}
}

func (a *adapter) status(path string) int {
	resp, err := http.Get(a.base + path)
	if err != nil {
		return 0
	}
	resp.Body.Close()
	return resp.StatusCode
}

func (a *adapter) waitReady(timeout time.Duration) bool {
	if a.base == "" {
		return false
	}
	deadline := time.Now().Add(timeout)
	for time.Now().Before(deadline) {
		if a.status("/readyz") == 200 {
			return true
		}
		select {
		case <-a.done:
			return false
		case <-time.After(50 * time.Millisecond):
		}
	}
	return false
}

// descendants of the adapter process that are alive (not zombies).
func (a *adapter) children() []int { return descendants(a.cmd.Process.Pid) }

func (a *adapter) waitChildren(n int, timeout time.Duration) []int {
	deadline := time.Now().Add(timeout)
	for {
		c := a.children()
		if len(c) == n || time.Now().After(deadline) {
			return c
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// client speaks MCP streamable HTTP to the adapter, the way SDK clients do.
type client struct {
	t     *testing.T
	url   string
	sid   string
	proto string
	hc    *http.Client
	// onRequest answers server-initiated requests that arrive on a response stream.
	onRequest func(m *message) json.RawMessage
}

func newClient(t *testing.T, url string) *client {
	return &client{t: t, url: url, proto: latestProtocol, hc: &http.Client{Timeout: 60 * time.Second}}
}

func (c *client) rawPost(body string, hdr map[string]string) *http.Response {
	c.t.Helper()
	req, _ := http.NewRequest(http.MethodPost, c.url, strings.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "application/json, text/event-stream")
	if c.sid != "" {
		req.Header.Set("Mcp-Session-Id", c.sid)
		req.Header.Set("MCP-Protocol-Version", c.proto)
	}
	for k, v := range hdr {
		if v == "" {
			req.Header.Del(k)
		} else {
			req.Header.Set(k, v)
		}
	}
	resp, err := c.hc.Do(req)
	if err != nil {
		c.t.Fatalf("POST %s: %v", c.url, err)
	}
	return resp
}

func (c *client) initialize(caps string) json.RawMessage {
	c.t.Helper()
	if caps == "" {
		caps = "{}"
	}
	body := fmt.Sprintf(`{"jsonrpc":"2.0","id":0,"method":"initialize","params":{"protocolVersion":%q,"capabilities":%s,"clientInfo":{"name":"adapter-test","version":"1"}}}`, c.proto, caps)
	resp := c.rawPost(body, nil)
	msgs := readMessages(c.t, resp)
	if resp.StatusCode != 200 {
		c.t.Fatalf("initialize: HTTP %d", resp.StatusCode)
	}
	c.sid = resp.Header.Get("Mcp-Session-Id")
	if c.sid == "" {
		c.t.Fatal("initialize: no Mcp-Session-Id")
	}
	res := msgs[len(msgs)-1]
	if len(res.Error) > 0 {
		c.t.Fatalf("initialize: %s", res.Error)
	}
	if r := c.rawPost(`{"jsonrpc":"2.0","method":"notifications/initialized"}`, nil); r.StatusCode != 202 {
		c.t.Fatalf("notifications/initialized: HTTP %d, want 202", r.StatusCode)
	}
	return res.Result
}

// call sends a request and returns its response and every message that came before it on the
// same stream.
func (c *client) call(id any, method string, params any) (*message, []*message) {
	c.t.Helper()
	idb, _ := json.Marshal(id)
	pb, _ := json.Marshal(params)
	body := fmt.Sprintf(`{"jsonrpc":"2.0","id":%s,"method":%q,"params":%s}`, idb, method, pb)
	resp := c.rawPost(body, nil)
	if resp.StatusCode != 200 {
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		c.t.Fatalf("%s: HTTP %d: %s", method, resp.StatusCode, b)
	}
	msgs := readMessages(c.t, resp, c.answerer())
	if len(msgs) == 0 {
		c.t.Fatalf("%s: no response", method)
	}
	last := msgs[len(msgs)-1]
	if string(last.ID) != string(idb) {
		c.t.Fatalf("%s: response id %s, want %s", method, last.ID, idb)
	}
	return last, msgs[:len(msgs)-1]
}

func (c *client) answerer() func(*message) {
	return func(m *message) {
		if !m.isRequest() || c.onRequest == nil {
			return
		}
		res := c.onRequest(m)
		b := (&message{ID: m.ID, Result: res}).encode()
		r := c.rawPost(string(b), nil)
		r.Body.Close()
		if r.StatusCode != 202 {
			c.t.Errorf("answer to %s: HTTP %d, want 202", m.Method, r.StatusCode)
		}
	}
}

func (c *client) result(id any, method string, params any) json.RawMessage {
	c.t.Helper()
	r, _ := c.call(id, method, params)
	if len(r.Error) > 0 {
		c.t.Fatalf("%s: error %s", method, r.Error)
	}
	return r.Result
}

func (c *client) delete() int {
	req, _ := http.NewRequest(http.MethodDelete, c.url, nil)
	req.Header.Set("Mcp-Session-Id", c.sid)
	resp, err := c.hc.Do(req)
	if err != nil {
		c.t.Fatalf("DELETE: %v", err)
	}
	resp.Body.Close()
	return resp.StatusCode
}

// openGet opens the standalone SSE stream; messages arrive on the returned channel.
func (c *client) openGet() (<-chan *message, func()) {
	c.t.Helper()
	req, _ := http.NewRequest(http.MethodGet, c.url, nil)
	req.Header.Set("Accept", "text/event-stream")
	req.Header.Set("Mcp-Session-Id", c.sid)
	req.Header.Set("MCP-Protocol-Version", c.proto)
	resp, err := (&http.Client{}).Do(req)
	if err != nil {
		c.t.Fatalf("GET: %v", err)
	}
	if resp.StatusCode != 200 || !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/event-stream") {
		c.t.Fatalf("GET: HTTP %d %s", resp.StatusCode, resp.Header.Get("Content-Type"))
	}
	ch := make(chan *message, 100)
	go func() {
		defer close(ch)
		eachEvent(resp.Body, func(m *message) bool { ch <- m; return true })
	}()
	return ch, func() { resp.Body.Close() }
}

// readMessages reads a POST response: one JSON message, or SSE events until the body ends.
func readMessages(t *testing.T, resp *http.Response, onEach ...func(*message)) []*message {
	t.Helper()
	defer resp.Body.Close()
	ct := resp.Header.Get("Content-Type")
	var out []*message
	if strings.HasPrefix(ct, "text/event-stream") {
		eachEvent(resp.Body, func(m *message) bool {
			out = append(out, m)
			for _, f := range onEach {
				f(m)
			}
			return true
		})
		return out
	}
	b, _ := io.ReadAll(resp.Body)
	var m message
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatalf("HTTP %d %s: not JSON-RPC: %s", resp.StatusCode, ct, b)
	}
	return []*message{&m}
}

func toolNames(t *testing.T, listResult json.RawMessage) []string {
	var r struct {
		Tools []struct {
			Name string `json:"name"`
		} `json:"tools"`
	}
	if err := json.Unmarshal(listResult, &r); err != nil {
		t.Fatalf("tools/list result: %v", err)
	}
	var names []string
	for _, x := range r.Tools {
		names = append(names, x.Name)
	}
	return names
}

func textOf(t *testing.T, callResult json.RawMessage) string {
	var r struct {
		Content []struct {
			Type string `json:"type"`
			Text string `json:"text"`
		} `json:"content"`
		IsError bool `json:"isError"`
	}
	if err := json.Unmarshal(callResult, &r); err != nil {
		t.Fatalf("tools/call result: %v", err)
	}
	var sb strings.Builder
	for _, c := range r.Content {
		sb.WriteString(c.Text)
	}
	if r.IsError {
		t.Fatalf("tool reported an error: %s", sb.String())
	}
	return sb.String()
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// processGone tells whether pid no longer names a live process.
func processGone(pid int) bool {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return true
	}
	s := string(b)
	i := strings.LastIndexByte(s, ')')
	return i > 0 && i+2 < len(s) && s[i+2] == 'Z'
}
