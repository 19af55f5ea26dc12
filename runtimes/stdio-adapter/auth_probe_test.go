package main

import (
	"net"
	"net/http"
	"net/http/httptest"
	"os/exec"
	"strings"
	"testing"
	"time"
)

const testToken = "tok-0123456789abcdef"

func TestBearerToken(t *testing.T) {
	for _, mode := range []string{modeShared, modePerSession} {
		t.Run(mode, func(t *testing.T) {
			a := startAdapter(t, []string{"--mode", mode}, []string{testServer(t, "everything")}, "KAOS_ADAPTER_AUTH_TOKEN="+testToken)
			init := `{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-11-25","capabilities":{},"clientInfo":{"name":"t","version":"0"}}}`
			c := newClient(t, a.url)
			for _, k := range []struct{ auth, challenge string }{
				{"", `Bearer realm="mcp"`},
				{"Bearer wrong", `Bearer realm="mcp", error="invalid_token"`},
				{"Basic " + testToken, `Bearer realm="mcp", error="invalid_token"`},
				{"Bearer " + testToken + "x", `Bearer realm="mcp", error="invalid_token"`},
			} {
				resp := c.rawPost(init, map[string]string{"Authorization": k.auth})
				resp.Body.Close()
				if resp.StatusCode != 401 || resp.Header.Get("WWW-Authenticate") != k.challenge {
					t.Errorf("Authorization %q: HTTP %d, WWW-Authenticate %q; want 401, %q", k.auth, resp.StatusCode, resp.Header.Get("WWW-Authenticate"), k.challenge)
				}
			}
			// The kubelet's probes carry no credentials.
			if a.status("/healthz") != 200 || a.status("/readyz") != 200 {
				t.Errorf("probes need no token")
			}
			// With the token, a whole session works (initialize, a call, the GET stream, DELETE).
			authed := newClient(t, a.url)
			authed.hc.Transport = bearer{testToken}
			authed.initialize("")
			got := textOf(t, authed.result(1, "tools/call", map[string]any{"name": "get-env", "arguments": map[string]any{}}))
			if strings.Contains(got, testToken) {
				t.Errorf("the child got the adapter's token")
			}
			authed.delete()
			if strings.Contains(a.logText(), testToken) {
				t.Errorf("the token reached the log")
			}
		})
	}
}

// bearer adds the token to every request of a test client.
type bearer struct{ token string }

func (b bearer) RoundTrip(r *http.Request) (*http.Response, error) {
	r = r.Clone(r.Context())
	r.Header.Set("Authorization", "Bearer "+b.token)
	return http.DefaultTransport.RoundTrip(r)
}

func TestEmptyTokenIsRefused(t *testing.T) {
	cmd := exec.Command(adapterBin, "--port", "0", "--", "true")
	cmd.Env = append(cmd.Environ(), "KAOS_ADAPTER_AUTH_TOKEN= ")
	out, err := cmd.CombinedOutput()
	if code := cmd.ProcessState.ExitCode(); err == nil || code != 2 {
		t.Fatalf("exit %d, want 2: %s", code, out)
	}
	if want := "kaos-stdio-adapter: KAOS_ADAPTER_AUTH_TOKEN is set but empty: give it the bearer token clients send, or unset it\n"; string(out) != want {
		t.Errorf("got %q, want %q", out, want)
	}
}

// probe runs `kaos-stdio-adapter probe ARGS` with extra environment and returns exit code and output.
func probe(t *testing.T, env []string, args ...string) (int, string) {
	t.Helper()
	cmd := exec.Command(adapterBin, append([]string{"probe"}, args...)...)
	cmd.Env = append(cmd.Environ(), env...)
	out, _ := cmd.CombinedOutput()
	return cmd.ProcessState.ExitCode(), string(out)
}

func TestProbeAgainstRealServers(t *testing.T) {
	for _, mode := range []string{modeShared, modePerSession} {
		t.Run(mode, func(t *testing.T) {
			a := startAdapter(t, []string{"--mode", mode}, []string{testServer(t, "everything")}, "KAOS_ADAPTER_AUTH_TOKEN="+testToken)
			code, out := probe(t, []string{"TOKEN=" + testToken}, "--url", a.url, "--bearer-env", "TOKEN")
			if code != 0 || !strings.HasPrefix(out, "ok: ") || !strings.HasSuffix(out, " tools\n") {
				t.Fatalf("probe with the token: exit %d: %q", code, out)
			}
			code, out = probe(t, nil, "--url", a.url)
			if code != 1 || !strings.HasPrefix(out, "initialize: HTTP 401 (application/json): ") || !strings.Contains(out, "Unauthorized") {
				t.Errorf("probe without the token: exit %d: %q", code, out)
			}
			code, out = probe(t, nil, "--url", a.url, "--bearer-env", "NOT_SET_ANYWHERE")
			if code != 1 || out != "--bearer-env NOT_SET_ANYWHERE: the variable is unset or empty in this container\n" {
				t.Errorf("probe with an unset variable: exit %d: %q", code, out)
			}
			if mode == modePerSession {
				// The probe ends its session: a probe every few seconds must not leave children behind.
				if left := a.waitChildren(0, 10*time.Second); len(left) != 0 {
					t.Errorf("processes left after the probes: %v", left)
				}
			}
		})
	}
}

func TestProbeSaysWhatTheServerAnswered(t *testing.T) {
	// What `python3 -m http.server` answers to a POST: a server that answers TCP, not MCP.
	plain := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html;charset=utf-8")
		w.WriteHeader(501)
		w.Write([]byte("<html><head><title>Error response</title></head><body>Unsupported method ('POST')</body></html>"))
	}))
	defer plain.Close()
	notRPC := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.Write([]byte(`{"status":"ok"}`))
	}))
	defer notRPC.Close()
	stop := make(chan struct{})
	hang := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-r.Context().Done():
		case <-stop:
		}
	}))
	defer hang.Close()
	defer close(stop)
	ln, _ := net.Listen("tcp", "127.0.0.1:0")
	closed := "http://" + ln.Addr().String() + "/mcp"
	ln.Close()

	for _, k := range []struct {
		name, url, want string
		args            []string
	}{
		{"plain HTTP server", plain.URL + "/mcp", "initialize: HTTP 501 (text/html): <html><head><title>Error response</title></head><body>Unsupported method ('POST')</body></html>\n", nil},
		{"JSON that is not JSON-RPC", notRPC.URL + "/mcp", `initialize: HTTP 200 with JSON that is not JSON-RPC: {"status":"ok"} (not an MCP endpoint?)` + "\n", nil},
		{"nothing listening", closed, "initialize: cannot reach " + closed + ": connection refused\n", nil},
		{"no answer", hang.URL + "/mcp", "initialize: no answer from " + hang.URL + "/mcp within 1s\n", []string{"--timeout", "1s"}},
	} {
		t.Run(k.name, func(t *testing.T) {
			code, out := probe(t, nil, append([]string{"--url", k.url}, k.args...)...)
			if code != 1 || out != k.want {
				t.Errorf("exit %d, output %q; want 1, %q", code, out, k.want)
			}
		})
	}
}
