package main

import (
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

type serverCase struct {
	name    string
	command func(t *testing.T) []string
	env     func(t *testing.T) []string
	tool    string
	check   func(t *testing.T, c *client) // a real tools/call and what it must return
}

func serverCases() []serverCase {
	return []serverCase{
		{
			name:    "everything",
			command: func(t *testing.T) []string { return []string{testServer(t, "everything")} },
			tool:    "echo",
			check: func(t *testing.T, c *client) {
				got := textOf(t, c.result(10, "tools/call", map[string]any{"name": "echo", "arguments": map[string]any{"message": "through the adapter"}}))
				if got != "Echo: through the adapter" {
					t.Fatalf("echo returned %q", got)
				}
			},
		},
		{
			name:    "memory",
			command: func(t *testing.T) []string { return []string{testServer(t, "memory")} },
			env: func(t *testing.T) []string {
				return []string{"MEMORY_FILE_PATH=" + filepath.Join(t.TempDir(), "memory.jsonl")}
			},
			tool: "create_entities",
			check: func(t *testing.T, c *client) {
				c.result(10, "tools/call", map[string]any{"name": "create_entities", "arguments": map[string]any{
					"entities": []any{map[string]any{"name": "kaos-adapter", "entityType": "project", "observations": []string{"serves stdio servers"}}},
				}})
				got := textOf(t, c.result(11, "tools/call", map[string]any{"name": "read_graph", "arguments": map[string]any{}}))
				if !strings.Contains(got, "kaos-adapter") || !strings.Contains(got, "serves stdio servers") {
					t.Fatalf("read_graph does not show the entity just created: %s", got)
				}
			},
		},
		{
			name: "filesystem",
			command: func(t *testing.T) []string {
				dir := t.TempDir()
				if err := os.WriteFile(filepath.Join(dir, "hello-adapter.txt"), []byte("hello from the test\n"), 0o644); err != nil {
					t.Fatal(err)
				}
				return []string{testServer(t, "filesystem"), dir}
			},
			tool: "read_text_file",
			check: func(t *testing.T, c *client) {
				var dir string
				got := textOf(t, c.result(10, "tools/call", map[string]any{"name": "list_allowed_directories", "arguments": map[string]any{}}))
				for _, l := range strings.Split(got, "\n") {
					if strings.HasPrefix(l, "/") {
						dir = strings.TrimSpace(l)
					}
				}
				got = textOf(t, c.result(11, "tools/call", map[string]any{"name": "read_text_file", "arguments": map[string]any{"path": filepath.Join(dir, "hello-adapter.txt")}}))
				if !strings.Contains(got, "hello from the test") {
					t.Fatalf("read_text_file returned %q", got)
				}
			},
		},
		{
			name: "fetch",
			command: func(t *testing.T) []string {
				// The fetch server refuses loopback addresses unless told otherwise; the page it
				// fetches is served here, so the test needs no network.
				return []string{testServer(t, "fetch"), "--allow-private-ips"}
			},
			tool: "fetch",
			check: func(t *testing.T, c *client) {
				page := localPage(t, "<html><head><title>t</title></head><body><h1>Adapter page</h1><p>marker-7f3a through stdio</p></body></html>")
				got := textOf(t, c.result(10, "tools/call", map[string]any{"name": "fetch", "arguments": map[string]any{"url": page}}))
				if !strings.Contains(got, "marker-7f3a") {
					t.Fatalf("fetch did not return the page: %q", got)
				}
			},
		},
	}
}

// localPage serves one HTML page on loopback (robots.txt: 404, which allows fetching).
func localPage(t *testing.T, html string) string {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/page" {
			http.NotFound(w, r)
			return
		}
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		io.WriteString(w, html)
	})}
	go srv.Serve(ln)
	t.Cleanup(func() { srv.Close() })
	return "http://" + ln.Addr().String() + "/page"
}

func TestRealServersBothModes(t *testing.T) {
	for _, sc := range serverCases() {
		for _, mode := range []string{modeShared, modePerSession} {
			t.Run(sc.name+"/"+mode, func(t *testing.T) {
				var env []string
				if sc.env != nil {
					env = sc.env(t)
				}
				a := startAdapter(t, []string{"--mode", mode}, sc.command(t), env...)
				c := newClient(t, a.url)
				c.initialize("")
				names := toolNames(t, c.result(1, "tools/list", map[string]any{}))
				if !contains(names, sc.tool) {
					t.Fatalf("tools/list lacks %q: %v", sc.tool, names)
				}
				sc.check(t, c)
				if code := c.delete(); code != 200 {
					t.Fatalf("DELETE: HTTP %d", code)
				}
			})
		}
	}
}

func TestSharedSessionsReuseIDsConcurrently(t *testing.T) {
	a := startAdapter(t, []string{"--mode", "shared"}, []string{testServer(t, "everything")})
	const sessions, calls = 3, 20
	var wg sync.WaitGroup
	errs := make(chan string, sessions*calls)
	for s := 0; s < sessions; s++ {
		c := newClient(t, a.url)
		c.initialize("")
		for i := 1; i <= calls; i++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				want := fmt.Sprintf("session %d call %d", s, i)
				// Every session uses ids 1..calls, all in flight together.
				r, _ := c.call(i, "tools/call", map[string]any{"name": "echo", "arguments": map[string]any{"message": want}})
				var res struct {
					Content []struct{ Text string } `json:"content"`
				}
				_ = json.Unmarshal(r.Result, &res)
				if len(res.Content) != 1 || res.Content[0].Text != "Echo: "+want {
					errs <- fmt.Sprintf("id %d of session %d got %s", i, s, r.Result)
				}
			}()
		}
	}
	wg.Wait()
	close(errs)
	for e := range errs {
		t.Error(e)
	}
}

func TestSharedListChangedReachesEverySession(t *testing.T) {
	a := startAdapter(t, []string{"--mode", "shared"}, []string{testServer(t, "everything")})
	var streams []<-chan *message
	var clients []*client
	for i := 0; i < 3; i++ {
		c := newClient(t, a.url)
		c.initialize("")
		ch, closeFn := c.openGet()
		t.Cleanup(closeFn)
		streams = append(streams, ch)
		clients = append(clients, c)
	}
	// Registering a session resource makes the server announce a changed resource list.
	clients[0].result(5, "tools/call", map[string]any{"name": "gzip-file-as-resource", "arguments": map[string]any{
		"name": "x.gz", "data": "data:text/plain;base64,aGVsbG8gYWRhcHRlcg==", "outputType": "resourceLink",
	}})
	for i, ch := range streams {
		if !waitFor(ch, "notifications/resources/list_changed", 10*time.Second) {
			t.Errorf("session %d did not get notifications/resources/list_changed on its GET stream", i)
		}
	}
}

func waitFor(ch <-chan *message, method string, timeout time.Duration) bool {
	deadline := time.After(timeout)
	for {
		select {
		case m, ok := <-ch:
			if !ok {
				return false
			}
			if m.Method == method {
				return true
			}
		case <-deadline:
			return false
		}
	}
}

func TestSharedProgressGoesToTheRequestingStream(t *testing.T) {
	a := startAdapter(t, []string{"--mode", "shared"}, []string{testServer(t, "everything")})
	var wg sync.WaitGroup
	for i, steps := range []int{2, 3} {
		c := newClient(t, a.url)
		c.initialize("")
		wg.Add(1)
		go func() {
			defer wg.Done()
			// Same request id and same progress token in both sessions.
			r, before := c.call(7, "tools/call", map[string]any{
				"name":      "trigger-long-running-operation",
				"arguments": map[string]any{"duration": 1, "steps": steps},
				"_meta":     map[string]any{"progressToken": "tok"},
			})
			if len(r.Error) > 0 {
				t.Errorf("session %d: %s", i, r.Error)
				return
			}
			n := 0
			for _, m := range before {
				if m.Method != "notifications/progress" {
					continue
				}
				var p struct {
					Token string  `json:"progressToken"`
					Total float64 `json:"total"`
				}
				_ = json.Unmarshal(m.Params, &p)
				if p.Token != "tok" || int(p.Total) != steps {
					t.Errorf("session %d got progress meant for another request: %s", i, m.Params)
				}
				n++
			}
			if n != steps {
				t.Errorf("session %d: %d progress notifications on its stream, want %d", i, n, steps)
			}
		}()
	}
	wg.Wait()
}

func TestSharedServerRequestRoutedToRequestingSession(t *testing.T) {
	a := startAdapter(t, []string{"--mode", "shared", "--client-capabilities", `{"sampling":{}}`}, []string{testServer(t, "everything")})
	idle := newClient(t, a.url)
	idle.initialize(`{"sampling":{}}`)
	idle.onRequest = func(m *message) json.RawMessage {
		t.Errorf("the idle session was asked %s", m.Method)
		return json.RawMessage(`{}`)
	}
	c := newClient(t, a.url)
	c.initialize(`{"sampling":{}}`)
	asked := 0
	c.onRequest = func(m *message) json.RawMessage {
		asked++
		if m.Method != "sampling/createMessage" {
			t.Errorf("unexpected server request %s", m.Method)
		}
		return json.RawMessage(`{"role":"assistant","content":{"type":"text","text":"sampled-by-test-client"},"model":"test-model","stopReason":"endTurn"}`)
	}
	got := textOf(t, c.result(1, "tools/call", map[string]any{"name": "trigger-sampling-request", "arguments": map[string]any{"prompt": "hi"}}))
	if asked != 1 || !strings.Contains(got, "sampled-by-test-client") {
		t.Fatalf("sampling round trip failed (asked %d times): %s", asked, got)
	}
	// A session that did not declare sampling is not asked: the child gets an error instead.
	plain := newClient(t, a.url)
	plain.initialize("")
	r, _ := plain.call(2, "tools/call", map[string]any{"name": "trigger-sampling-request", "arguments": map[string]any{"prompt": "hi"}})
	if !strings.Contains(string(r.Result)+string(r.Error), "did not declare the sampling capability") {
		t.Fatalf("expected the adapter's refusal to reach the tool result, got %s %s", r.Result, r.Error)
	}
}

func TestSharedChildCrashEndsAdapterNonZero(t *testing.T) {
	a := startAdapter(t, []string{"--mode", "shared"}, []string{testServer(t, "everything")})
	if a.status("/healthz") != 200 {
		t.Fatal("healthz not 200 while the child runs")
	}
	kids := a.children()
	if len(kids) == 0 {
		t.Fatal("no child process")
	}
	for _, pid := range kids {
		_ = syscall.Kill(pid, syscall.SIGKILL)
	}
	// From now on health is never 200: 503 until the adapter has exited, then no answer.
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		st := a.status("/healthz")
		if st == 200 {
			// Only acceptable in the instant before the adapter notices the exit.
			time.Sleep(10 * time.Millisecond)
			continue
		}
		break
	}
	code, exited := a.exitCode(15 * time.Second)
	if !exited {
		t.Fatalf("adapter still running after its shared child died; log:\n%s", a.logText())
	}
	if code == 0 {
		t.Fatalf("adapter exited 0 after its shared child died; want non-zero")
	}
	if a.status("/healthz") == 200 {
		t.Fatal("healthz 200 after the child died")
	}
	for _, pid := range kids {
		if !processGone(pid) {
			t.Errorf("process %d left behind", pid)
		}
	}
}

func TestPerSessionDeleteKillsChild(t *testing.T) {
	a := startAdapter(t, []string{"--mode", "per-session"}, []string{testServer(t, "everything")})
	if n := len(a.waitChildren(0, 10*time.Second)); n != 0 {
		t.Fatalf("%d processes before any session (the probe child should be gone)", n)
	}
	c := newClient(t, a.url)
	c.initialize("")
	kids := a.children()
	if len(kids) == 0 {
		t.Fatal("no child for the session")
	}
	if code := c.delete(); code != 200 {
		t.Fatalf("DELETE: HTTP %d", code)
	}
	if left := a.children(); len(left) != 0 {
		t.Fatalf("processes left after DELETE answered: %v", left)
	}
	r := c.rawPost(`{"jsonrpc":"2.0","id":3,"method":"tools/list"}`, nil)
	r.Body.Close()
	if r.StatusCode != 404 {
		t.Fatalf("request on the deleted session: HTTP %d, want 404", r.StatusCode)
	}
}

func TestPerSessionIdleTimeout(t *testing.T) {
	a := startAdapter(t, []string{"--mode", "per-session", "--idle-timeout", "1s"}, []string{testServer(t, "everything")})
	c := newClient(t, a.url)
	c.initialize("")
	if len(a.children()) == 0 {
		t.Fatal("no child for the session")
	}
	if left := a.waitChildren(0, 10*time.Second); len(left) != 0 {
		t.Fatalf("child still running after the idle timeout: %v", left)
	}
	r := c.rawPost(`{"jsonrpc":"2.0","id":3,"method":"tools/list"}`, nil)
	r.Body.Close()
	if r.StatusCode != 404 {
		t.Fatalf("request on the expired session: HTTP %d, want 404", r.StatusCode)
	}
	// The client re-initializes and carries on.
	c.sid = ""
	c.initialize("")
	c.result(4, "tools/list", map[string]any{})
}

func TestFiftySessionsLeaveNoProcess(t *testing.T) {
	for _, mode := range []string{modePerSession, modeShared} {
		t.Run(mode, func(t *testing.T) {
			a := startAdapter(t, []string{"--mode", mode}, []string{testServer(t, "memory")}, "MEMORY_FILE_PATH="+filepath.Join(t.TempDir(), "m.jsonl"))
			base := len(a.waitChildren(map[string]int{modeShared: 1, modePerSession: 0}[mode], 10*time.Second))
			var wg sync.WaitGroup
			sem := make(chan struct{}, 5) // two cores: a few children start at a time
			for i := 0; i < 50; i++ {
				wg.Add(1)
				sem <- struct{}{}
				go func() {
					defer wg.Done()
					defer func() { <-sem }()
					c := newClient(t, a.url)
					c.initialize("")
					c.result(1, "tools/list", map[string]any{})
					if code := c.delete(); code != 200 {
						t.Errorf("DELETE: HTTP %d", code)
					}
				}()
			}
			wg.Wait()
			if left := a.waitChildren(base, 5*time.Second); len(left) != base {
				t.Fatalf("%d processes under the adapter after 50 sessions ended, want %d: %v", len(left), base, left)
			}
		})
	}
}

func TestSigtermLeavesNoProcess(t *testing.T) {
	for _, mode := range []string{modePerSession, modeShared} {
		t.Run(mode, func(t *testing.T) {
			a := startAdapter(t, []string{"--mode", mode}, []string{testServer(t, "everything")})
			for i := 0; i < 3; i++ {
				c := newClient(t, a.url)
				c.initialize("")
				if i == 0 {
					_, closeFn := c.openGet() // an open stream must not hold up the exit
					defer closeFn()
				}
			}
			kids := a.children()
			if len(kids) == 0 {
				t.Fatal("no children")
			}
			_ = a.cmd.Process.Signal(syscall.SIGTERM)
			code, exited := a.exitCode(20 * time.Second)
			if !exited || code != 0 {
				t.Fatalf("after SIGTERM: exited=%v code=%d; log:\n%s", exited, code, a.logText())
			}
			for _, pid := range kids {
				if !processGone(pid) {
					t.Errorf("process %d outlived the adapter", pid)
				}
			}
		})
	}
}

func TestTransportRules(t *testing.T) {
	a := startAdapter(t, []string{"--allowed-origins", "https://app.example.org"}, []string{testServer(t, "everything")})
	c := newClient(t, a.url)
	c.initialize("")
	status := func(r *http.Response) int { r.Body.Close(); return r.StatusCode }
	list := `{"jsonrpc":"2.0","id":1,"method":"tools/list"}`
	cases := []struct {
		name string
		got  int
		want int
	}{
		{"unknown session", status(c.rawPost(list, map[string]string{"Mcp-Session-Id": "0123456789abcdef0123456789abcdef"})), 404},
		{"missing session", status(c.rawPost(list, map[string]string{"Mcp-Session-Id": ""})), 400},
		{"foreign Origin", status(c.rawPost(list, map[string]string{"Origin": "http://evil.example.com"})), 403},
		{"allowed Origin", status(c.rawPost(list, map[string]string{"Origin": "https://app.example.org"})), 200},
		{"loopback Origin", status(c.rawPost(list, map[string]string{"Origin": "http://localhost:6274"})), 200},
		{"Accept without SSE", status(c.rawPost(list, map[string]string{"Accept": "application/json"})), 406},
		{"Accept without JSON", status(c.rawPost(list, map[string]string{"Accept": "text/event-stream"})), 406},
		{"bad protocol version", status(c.rawPost(list, map[string]string{"MCP-Protocol-Version": "1999-01-01"})), 400},
		{"older known protocol version", status(c.rawPost(list, map[string]string{"MCP-Protocol-Version": "2025-03-26"})), 200},
		{"batch", status(c.rawPost("["+list+"]", nil)), 400},
		{"not JSON", status(c.rawPost("{nope", nil)), 400},
		{"wrong Content-Type", status(c.rawPost(list, map[string]string{"Content-Type": "text/plain"})), 415},
		{"notification", status(c.rawPost(`{"jsonrpc":"2.0","method":"notifications/roots/list_changed"}`, nil)), 202},
		{"initialize inside a session", status(c.rawPost(`{"jsonrpc":"2.0","id":9,"method":"initialize","params":{}}`, nil)), 400},
	}
	for _, k := range cases {
		if k.got != k.want {
			t.Errorf("%s: HTTP %d, want %d", k.name, k.got, k.want)
		}
	}
	// stdio frames by line: a pretty-printed body must still reach the child as one message.
	pretty := c.rawPost("{\n  \"jsonrpc\": \"2.0\",\n  \"id\": 5,\n  \"method\": \"tools/list\"\n}", nil)
	if msgs := readMessages(t, pretty); len(msgs) != 1 || string(msgs[0].ID) != "5" || len(msgs[0].Result) == 0 {
		t.Errorf("pretty-printed request: got %+v", msgs)
	}
	do := func(method string, hdr map[string]string) int {
		req, _ := http.NewRequest(method, a.url, nil)
		for k, v := range hdr {
			req.Header.Set(k, v)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	if got := do("GET", map[string]string{"Accept": "text/event-stream"}); got != 400 {
		t.Errorf("GET without session: HTTP %d, want 400", got)
	}
	if got := do("GET", map[string]string{"Accept": "application/json", "Mcp-Session-Id": c.sid}); got != 406 {
		t.Errorf("GET without text/event-stream: HTTP %d, want 406", got)
	}
	if got := do("DELETE", map[string]string{"Mcp-Session-Id": "nope"}); got != 404 {
		t.Errorf("DELETE unknown session: HTTP %d, want 404", got)
	}
	if got := do("PUT", nil); got != 405 {
		t.Errorf("PUT: HTTP %d, want 405", got)
	}
	_, closeFn := c.openGet()
	defer closeFn()
	if got := do("GET", map[string]string{"Accept": "text/event-stream", "Mcp-Session-Id": c.sid}); got != 409 {
		t.Errorf("second GET stream: HTTP %d, want 409", got)
	}
}

func TestChildEnvironmentAndStderr(t *testing.T) {
	for _, mode := range []string{modeShared, modePerSession} {
		t.Run(mode, func(t *testing.T) {
			a := startAdapter(t, []string{"--mode", mode}, []string{testServer(t, "everything")},
				"KAOS_TEST_API_TOKEN=secret-value-42", "KAOS_ADAPTER_IDLE_TIMEOUT=7m")
			c := newClient(t, a.url)
			c.initialize("")
			got := textOf(t, c.result(1, "tools/call", map[string]any{"name": "get-env", "arguments": map[string]any{}}))
			if !strings.Contains(got, "secret-value-42") {
				t.Errorf("the child did not get KAOS_TEST_API_TOKEN")
			}
			if strings.Contains(got, "KAOS_ADAPTER_") {
				t.Errorf("the child got the adapter's own KAOS_ADAPTER_* settings")
			}
			c.delete()
			log := a.logText()
			if strings.Contains(log, "secret-value-42") {
				t.Errorf("a secret value reached the adapter's log")
			}
			// The child's stderr comes through, prefixed per session in per-session mode.
			want := "Starting default (STDIO) server..."
			if mode == modePerSession {
				want = "[session " + c.sid[:8] + "] " + want
			}
			if !strings.Contains(log, want) {
				t.Errorf("the child's stderr line %q is missing from the log:\n%s", want, log)
			}
		})
	}
}

func TestHealthAndStartupFailure(t *testing.T) {
	for _, mode := range []string{modeShared, modePerSession} {
		t.Run(mode, func(t *testing.T) {
			a := startAdapter(t, []string{"--mode", mode}, []string{testServer(t, "everything")})
			if a.status("/healthz") != 200 || a.status("/readyz") != 200 {
				t.Fatal("health not 200 with a working server")
			}
			// A command that is no MCP server: health never turns 200 and the adapter exits 1.
			bad := tryStartAdapter(t, []string{"--mode", mode, "--init-timeout", "5s"}, []string{"sh", "-c", "echo not an MCP server >&2; exit 3"})
			if bad.base != "" {
				if st := bad.status("/healthz"); st == 200 {
					t.Errorf("healthz 200 for a command that exits at once")
				}
			}
			code, exited := bad.exitCode(15 * time.Second)
			if !exited || code != 1 {
				t.Fatalf("broken command: exited=%v code=%d, want exit 1; log:\n%s", exited, code, bad.logText())
			}
			if !strings.Contains(bad.logText(), "exited with status 3") {
				t.Errorf("the log does not say why:\n%s", bad.logText())
			}
		})
	}
}

func TestInstallSubcommand(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "shared", "bin")
	out, err := exec.Command(adapterBin, "install", dir).CombinedOutput()
	if err != nil {
		t.Fatalf("install: %v: %s", err, out)
	}
	installed := filepath.Join(dir, "kaos-stdio-adapter")
	st, err := os.Stat(installed)
	if err != nil || st.Mode()&0o111 == 0 {
		t.Fatalf("installed file missing or not executable: %v", err)
	}
	v, err := exec.Command(installed, "--version").Output()
	if err != nil || !strings.HasPrefix(string(v), "kaos-stdio-adapter "+version) {
		t.Fatalf("the installed copy does not run: %v %q", err, v)
	}
	if out, err := exec.Command(adapterBin, "install").CombinedOutput(); err == nil || !strings.Contains(string(out), "usage") {
		t.Fatalf("install without DIR should fail with usage, got %v %q", err, out)
	}
}

func TestBadFlagsOneClearLine(t *testing.T) {
	cases := map[string][]string{
		"--mode must be":                        {"--mode", "pooled", "--", "x"},
		"no command to run":                     {"--mode", "shared"},
		"--idle-timeout must be":                {"--idle-timeout", "soon", "--", "x"},
		"--port must be":                        {"--port", "http", "--", "x"},
		"--client-capabilities":                 {"--client-capabilities", "[]", "--", "x"},
		"--path must start with /":              {"--path", "mcp", "--", "x"},
		"flag provided but not defined: -bogus": {"--bogus", "--", "x"},
	}
	for want, args := range cases {
		out, err := exec.Command(adapterBin, args...).CombinedOutput()
		if err == nil {
			t.Errorf("%v: exited 0", args)
			continue
		}
		lines := strings.Split(strings.TrimSpace(string(out)), "\n")
		if len(lines) != 1 || !strings.Contains(lines[0], want) {
			t.Errorf("%v: want one line containing %q, got %q", args, want, out)
		}
	}
}

func TestNothingIsReadyWhileTheChildStarts(t *testing.T) {
	everything := testServer(t, "everything")
	for _, mode := range []string{modeShared, modePerSession} {
		t.Run(mode, func(t *testing.T) {
			// A server that takes a while to start, as npx- or uvx-launched ones do.
			a := tryStartAdapter(t, []string{"--mode", mode}, []string{"sh", "-c", `sleep 2; exec "$0"`, everything})
			if a.base == "" {
				t.Fatalf("adapter did not start; log:\n%s", a.logText())
			}
			if st := a.status("/healthz"); st != 503 {
				t.Errorf("healthz while starting: %d, want 503", st)
			}
			if st := a.status("/readyz"); st != 503 {
				t.Errorf("readyz while starting: %d, want 503", st)
			}
			c := newClient(t, a.url)
			r := c.rawPost(`{"jsonrpc":"2.0","id":0,"method":"initialize","params":{"protocolVersion":"2025-11-25","capabilities":{},"clientInfo":{"name":"t","version":"1"}}}`, nil)
			r.Body.Close()
			if r.StatusCode != 503 || r.Header.Get("Retry-After") == "" {
				t.Errorf("initialize while starting: HTTP %d (Retry-After %q), want 503 with Retry-After", r.StatusCode, r.Header.Get("Retry-After"))
			}
			if !a.waitReady(60 * time.Second) {
				t.Fatalf("never ready; log:\n%s", a.logText())
			}
			c.initialize("")
			c.result(1, "tools/list", map[string]any{})
		})
	}
}

func TestPerSessionHealthFollowsChildStarts(t *testing.T) {
	everything := testServer(t, "everything")
	mark := filepath.Join(t.TempDir(), "started-once")
	// Works for the startup probe, then every later start fails, as a broken node would.
	a := startAdapter(t, []string{"--mode", "per-session"},
		[]string{"sh", "-c", `if [ -e "$1" ]; then echo broken >&2; exit 4; fi; touch "$1"; exec "$0"`, everything, mark})
	if a.status("/healthz") != 200 {
		t.Fatal("healthz not 200 after the probe")
	}
	c := newClient(t, a.url)
	r := c.rawPost(`{"jsonrpc":"2.0","id":0,"method":"initialize","params":{"protocolVersion":"2025-11-25","capabilities":{},"clientInfo":{"name":"t","version":"1"}}}`, nil)
	msgs := readMessages(t, r)
	if r.StatusCode != 500 || len(msgs) != 1 || !strings.Contains(string(msgs[0].Error), "exited with status 4") || r.Header.Get("Mcp-Session-Id") != "" {
		t.Fatalf("initialize with a failing child: HTTP %d %+v", r.StatusCode, msgs)
	}
	if a.status("/healthz") != 503 || a.status("/readyz") != 503 {
		t.Fatal("health still 200 after a session's child failed to start")
	}
	if left := a.waitChildren(0, 5*time.Second); len(left) != 0 {
		t.Fatalf("processes left after the failed start: %v", left)
	}
}

// A client that asks for an older protocol version the shared child can serve gets that version
// back (lifecycle: "if the server supports the requested version, it MUST respond with the same"),
// and its session works under it; one that asks for a version nobody knows gets the child's.
func TestSharedNegotiatesEachClientsVersion(t *testing.T) {
	a := startAdapter(t, []string{"--mode", "shared"}, []string{testServer(t, "everything")})
	for _, v := range []string{"2025-06-18", "2025-03-26", latestProtocol} {
		c := newClient(t, a.url)
		c.proto = v
		var res struct {
			ProtocolVersion string `json:"protocolVersion"`
		}
		_ = json.Unmarshal(c.initialize(""), &res)
		if res.ProtocolVersion != v {
			t.Errorf("asked %s: got %s", v, res.ProtocolVersion)
		}
		r, _ := c.call(1, "tools/list", map[string]any{})
		if len(r.Error) > 0 || !strings.Contains(string(r.Result), `"echo"`) {
			t.Errorf("asked %s: tools/list gave %s %s", v, r.Result, r.Error)
		}
	}
	// A version nobody knows: the answer is the child's, and the client decides.
	c := newClient(t, a.url)
	msgs := readMessages(t, c.rawPost(`{"jsonrpc":"2.0","id":0,"method":"initialize","params":{"protocolVersion":"2099-01-01","capabilities":{},"clientInfo":{"name":"t","version":"1"}}}`, nil))
	if got := string(msgs[len(msgs)-1].Result); !strings.Contains(got, `"protocolVersion":"`+latestProtocol+`"`) {
		t.Errorf("asked 2099-01-01: got %s", got)
	}
}
