package main

// `kaos-stdio-adapter probe`: a readiness probe that speaks MCP, for server images kaos did not
// build. A kubelet's httpGet cannot POST (an MCP endpoint answers GET with 405 or 406), and a
// distroless or scratch image has no curl or shell to exec; this static binary, copied into the
// pod by an init container, does what a client does first: initialize, notifications/initialized,
// tools/list, DELETE of the session. Exit 0 with "ok: N tools"; otherwise exit 1 with one line
// saying what the server answered, which the kubelet puts in the pod's Unhealthy event.

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"mime"
	"net/http"
	"os"
	"strings"
	"time"
)

type probeConfig struct {
	url     string
	token   string
	timeout time.Duration
}

func probeMain(args []string, stdout io.Writer) int {
	fs := flag.NewFlagSet("kaos-stdio-adapter probe", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	url := fs.String("url", "http://127.0.0.1:8000/mcp", "the MCP endpoint to check")
	bearerEnv := fs.String("bearer-env", "", "send Authorization: Bearer with the value of this environment variable")
	timeout := fs.Duration("timeout", 4*time.Second, "the whole check's deadline (keep it under the probe's timeoutSeconds)")
	if err := fs.Parse(args); err != nil || fs.NArg() > 0 {
		fmt.Fprintln(stdout, "usage: kaos-stdio-adapter probe [--url URL] [--bearer-env NAME] [--timeout 4s]")
		return 2
	}
	cfg := probeConfig{url: *url, timeout: *timeout}
	if *bearerEnv != "" {
		cfg.token = strings.TrimSpace(os.Getenv(*bearerEnv))
		if cfg.token == "" {
			fmt.Fprintf(stdout, "--bearer-env %s: the variable is unset or empty in this container\n", *bearerEnv)
			return 1
		}
	}
	n, err := runProbe(cfg)
	if err != nil {
		fmt.Fprintln(stdout, oneLine(err.Error(), 400))
		return 1
	}
	fmt.Fprintf(stdout, "ok: %d tools\n", n)
	return 0
}

// runProbe does the handshake and tools/list; it returns the number of tools.
func runProbe(cfg probeConfig) (int, error) {
	ctx, cancel := context.WithTimeout(context.Background(), cfg.timeout)
	defer cancel()
	c := &probeClient{cfg: cfg, hc: &http.Client{}}
	init := `{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"` + latestProtocol + `","capabilities":{},"clientInfo":{"name":"kaos-probe","version":"` + version + `"}}}`
	res, hdr, err := c.call(ctx, "initialize", init)
	if err != nil {
		return 0, err
	}
	var ir struct {
		ProtocolVersion string `json:"protocolVersion"`
	}
	if json.Unmarshal(res, &ir) != nil || ir.ProtocolVersion == "" {
		return 0, fmt.Errorf("initialize: the result has no protocolVersion: %s", oneLine(string(res), 200))
	}
	c.session, c.proto = hdr.Get("Mcp-Session-Id"), ir.ProtocolVersion
	defer c.end()
	if err := c.notify(ctx, `{"jsonrpc":"2.0","method":"notifications/initialized"}`); err != nil {
		return 0, err
	}
	res, _, err = c.call(ctx, "tools/list", `{"jsonrpc":"2.0","id":2,"method":"tools/list"}`)
	if err != nil {
		return 0, err
	}
	var tl struct {
		Tools []json.RawMessage `json:"tools"`
	}
	if json.Unmarshal(res, &tl) != nil || tl.Tools == nil {
		return 0, fmt.Errorf("tools/list: the result has no tools list: %s", oneLine(string(res), 200))
	}
	return len(tl.Tools), nil
}

type probeClient struct {
	cfg            probeConfig
	hc             *http.Client
	session, proto string
}

func (c *probeClient) request(ctx context.Context, method, body string) (*http.Response, error) {
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req, err := http.NewRequestWithContext(ctx, method, c.cfg.url, rd)
	if err != nil {
		return nil, fmt.Errorf("--url %q: %v", c.cfg.url, err)
	}
	req.Header.Set("Accept", "application/json, text/event-stream")
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	if c.cfg.token != "" {
		req.Header.Set("Authorization", "Bearer "+c.cfg.token)
	}
	if c.session != "" {
		req.Header.Set("Mcp-Session-Id", c.session)
	}
	if c.proto != "" {
		req.Header.Set("MCP-Protocol-Version", c.proto)
	}
	resp, err := c.hc.Do(req)
	if err != nil {
		if errors.Is(err, context.DeadlineExceeded) {
			return nil, fmt.Errorf("no answer from %s within %s", c.cfg.url, c.cfg.timeout)
		}
		return nil, fmt.Errorf("cannot reach %s: %v", c.cfg.url, unwrapURLError(err))
	}
	return resp, nil
}

// call sends one request and returns its result (JSON or the matching SSE event).
func (c *probeClient) call(ctx context.Context, what, body string) (json.RawMessage, http.Header, error) {
	resp, err := c.request(ctx, http.MethodPost, body)
	if err != nil {
		return nil, nil, fmt.Errorf("%s: %v", what, err)
	}
	defer resp.Body.Close()
	ctype, _, _ := mime.ParseMediaType(resp.Header.Get("Content-Type"))
	if resp.StatusCode != http.StatusOK {
		excerpt, _ := io.ReadAll(io.LimitReader(resp.Body, 2048))
		return nil, nil, fmt.Errorf("%s: HTTP %d%s%s", what, resp.StatusCode, typeNote(ctype), bodyNote(excerpt))
	}
	var m *message
	switch ctype {
	case "application/json":
		data, _ := io.ReadAll(io.LimitReader(resp.Body, 16<<20))
		m = &message{}
		if json.Unmarshal(data, m) != nil || m.JSONRPC != "2.0" {
			return nil, nil, fmt.Errorf("%s: HTTP 200 with JSON that is not JSON-RPC: %s (not an MCP endpoint?)", what, oneLine(string(data), 160))
		}
	case "text/event-stream":
		if m, err = firstResponse(resp.Body); err != nil {
			return nil, nil, fmt.Errorf("%s: %v", what, err)
		}
	default:
		excerpt, _ := io.ReadAll(io.LimitReader(resp.Body, 2048))
		return nil, nil, fmt.Errorf("%s: HTTP 200%s%s, not MCP (is %s the MCP endpoint?)", what, typeNote(ctype), bodyNote(excerpt), c.cfg.url)
	}
	if len(m.Error) > 0 {
		return nil, nil, fmt.Errorf("%s: JSON-RPC error %s", what, oneLine(string(m.Error), 200))
	}
	return m.Result, resp.Header, nil
}

func (c *probeClient) notify(ctx context.Context, body string) error {
	resp, err := c.request(ctx, http.MethodPost, body)
	if err != nil {
		return fmt.Errorf("notifications/initialized: %v", err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusAccepted && resp.StatusCode != http.StatusOK {
		excerpt, _ := io.ReadAll(io.LimitReader(resp.Body, 2048))
		return fmt.Errorf("notifications/initialized: HTTP %d%s", resp.StatusCode, bodyNote(excerpt))
	}
	return nil
}

// end closes the session on servers that keep one; a probe every few seconds must not pile them up.
func (c *probeClient) end() {
	if c.session == "" {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	if resp, err := c.request(ctx, http.MethodDelete, ""); err == nil {
		resp.Body.Close()
	}
}

// firstResponse reads SSE events until a JSON-RPC response arrives.
func firstResponse(r io.Reader) (*message, error) {
	var found *message
	eachEvent(r, func(m *message) bool {
		if m.isResponse() {
			found = m
			return false
		}
		return true
	})
	if found == nil {
		return nil, errors.New("the event stream ended without an answer")
	}
	return found, nil
}

// eachEvent hands each JSON-RPC message of an SSE stream to fn, until the stream ends or fn
// returns false. Events that are not JSON are skipped: a stream may carry comments and pings.
func eachEvent(r io.Reader, fn func(*message) bool) {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64<<10), 16<<20)
	var data bytes.Buffer
	for sc.Scan() {
		line := sc.Text()
		switch {
		case strings.HasPrefix(line, "data:"):
			data.WriteString(strings.TrimPrefix(strings.TrimPrefix(line, "data:"), " "))
		case line == "":
			if data.Len() > 0 {
				m := &message{}
				if json.Unmarshal(data.Bytes(), m) == nil && !fn(m) {
					return
				}
				data.Reset()
			}
		}
	}
}

func typeNote(ctype string) string {
	if ctype == "" {
		return ""
	}
	return " (" + ctype + ")"
}

func bodyNote(b []byte) string {
	s := strings.TrimSpace(string(b))
	if s == "" {
		return ""
	}
	return ": " + oneLine(s, 200)
}

func oneLine(s string, max int) string {
	s = strings.Join(strings.Fields(s), " ")
	if len(s) > max {
		s = s[:max] + "…"
	}
	return s
}

// unwrapURLError keeps the cause ("connection refused") without the URL the caller already names.
func unwrapURLError(err error) error {
	for {
		u := errors.Unwrap(err)
		if u == nil {
			return err
		}
		err = u
	}
}
