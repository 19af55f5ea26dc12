package main

import (
	"bytes"
	"context"
	"crypto/subtle"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

const latestProtocol = "2025-11-25"

var knownProtocols = map[string]bool{
	"2024-11-05": true,
	"2025-03-26": true,
	"2025-06-18": true,
	"2025-11-25": true,
}

const maxBody = 16 << 20

type server struct {
	cfg *config
	env []string

	mu       sync.Mutex
	sessions map[string]*session
	starting int // per-session children being started, counted against --max-sessions

	shared     *upstream
	initResult json.RawMessage // shared mode: the child's InitializeResult, given to every session

	healthy  atomic.Bool
	ready    atomic.Bool
	stopping atomic.Bool
	reason   atomic.Value // string: why /healthz is failing

	fatal chan string // the shared child died
}

func newServer(cfg *config, env []string) *server {
	s := &server{cfg: cfg, env: env, sessions: map[string]*session{}, fatal: make(chan string, 1)}
	s.reason.Store("starting")
	return s
}

func (s *server) initParams(caps json.RawMessage) json.RawMessage {
	b, _ := json.Marshal(map[string]any{
		"protocolVersion": latestProtocol,
		"capabilities":    caps,
		"clientInfo":      map[string]string{"name": "kaos-stdio-adapter", "version": version},
	})
	return b
}

// probe initializes a child and lists its tools: what /healthz and /readyz stand for.
func (s *server) probe(u *upstream, caps json.RawMessage) (json.RawMessage, error) {
	ctx, cancel := context.WithTimeout(context.Background(), s.cfg.initTimeout)
	defer cancel()
	r, err := u.call(ctx, "initialize", s.initParams(caps))
	if err != nil {
		return nil, explainChildErr(u, "answer initialize", s.cfg.initTimeout, err)
	}
	if len(r.Error) > 0 {
		return nil, fmt.Errorf("the MCP server refused initialize: %s", r.Error)
	}
	if err := u.notify("notifications/initialized", nil); err != nil {
		return nil, explainChildErr(u, "take notifications/initialized", s.cfg.initTimeout, err)
	}
	s.healthy.Store(true)
	// A server without tools is ready once it answers ping; every other one needs a real list.
	method := "tools/list"
	if getParam(getParam(r.Result, "capabilities"), "tools") == nil {
		method = "ping"
	}
	ctx2, cancel2 := context.WithTimeout(context.Background(), s.cfg.initTimeout)
	defer cancel2()
	lr, err := u.call(ctx2, method, json.RawMessage(`{}`))
	if err != nil {
		return nil, explainChildErr(u, "answer "+method, s.cfg.initTimeout, err)
	}
	if len(lr.Error) > 0 {
		return nil, fmt.Errorf("the MCP server answered %s with an error: %s", method, lr.Error)
	}
	return r.Result, nil
}

func explainChildErr(u *upstream, what string, timeout time.Duration, err error) error {
	if errors.Is(err, context.DeadlineExceeded) {
		return fmt.Errorf("the MCP server did not %s within %v (raise --init-timeout if it is slow to start)", what, timeout)
	}
	if errors.Is(err, errChildGone) {
		<-u.dead
		return fmt.Errorf("the MCP server %s before it could %s (its stderr is above)", u.exitDesc, what)
	}
	return err
}

// start brings up the shared child, or in per-session mode runs a probe child once, so that
// health means a child of this command really initializes and lists its tools.
func (s *server) start() error {
	if s.cfg.mode == modeShared {
		u, err := startUpstream(s.cfg.command, s.env, "the MCP server", "", true)
		if err != nil {
			return err
		}
		s.shared = u
		go func() {
			<-u.dead
			s.healthy.Store(false)
			s.ready.Store(false)
			s.reason.Store("the MCP server " + u.exitDesc)
			select {
			case s.fatal <- "the MCP server " + u.exitDesc:
			default:
			}
		}()
		res, err := s.probe(u, s.cfg.clientCaps)
		if err != nil {
			u.stop(s.cfg.grace)
			return err
		}
		s.initResult = res
		s.ready.Store(true)
		return nil
	}
	u, err := startUpstream(s.cfg.command, s.env, "the probe child", "[probe] ", false)
	if err != nil {
		return err
	}
	_, err = s.probe(u, json.RawMessage(`{}`))
	u.stop(s.cfg.grace)
	if err != nil {
		return err
	}
	s.ready.Store(true)
	return nil
}

func (s *server) routes() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("/healthz", s.handleHealth)
	mux.HandleFunc("/readyz", s.handleReady)
	mux.HandleFunc(s.cfg.path, s.handleMCP)
	return mux
}

func (s *server) handleHealth(w http.ResponseWriter, r *http.Request) {
	ok := s.healthy.Load() && !s.stopping.Load()
	if ok && s.shared != nil && !s.shared.alive() {
		ok = false
	}
	if ok {
		io.WriteString(w, "ok\n")
		return
	}
	w.WriteHeader(http.StatusServiceUnavailable)
	fmt.Fprintf(w, "not healthy: %v\n", s.reason.Load())
}

func (s *server) handleReady(w http.ResponseWriter, r *http.Request) {
	ok := s.ready.Load() && s.healthy.Load() && !s.stopping.Load()
	if ok && s.shared != nil && !s.shared.alive() {
		ok = false
	}
	if ok {
		io.WriteString(w, "ready\n")
		return
	}
	w.WriteHeader(http.StatusServiceUnavailable)
	if !s.ready.Load() {
		io.WriteString(w, "not ready: tools/list has not succeeded yet\n")
		return
	}
	fmt.Fprintf(w, "not ready: %v\n", s.reason.Load())
}

func httpError(w http.ResponseWriter, status int, code int, msg string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	w.Write(errorResponse(nil, code, msg))
}

// authorized: no token configured, or the request's bearer token (compared in constant time).
// Only the MCP path is guarded: the kubelet's probes carry no credentials.
func (s *server) authorized(header string) bool {
	if s.cfg.authToken == "" {
		return true
	}
	scheme, cred, _ := strings.Cut(strings.TrimSpace(header), " ")
	return strings.EqualFold(scheme, "bearer") && subtle.ConstantTimeCompare([]byte(strings.TrimSpace(cred)), []byte(s.cfg.authToken)) == 1
}

// originAllowed: no Origin (non-browser clients), a loopback origin, or one on the allow-list.
// A browser page on another site must not drive the server (DNS rebinding).
func (s *server) originAllowed(origin string) bool {
	if origin == "" {
		return true
	}
	o := strings.TrimRight(origin, "/")
	for _, a := range s.cfg.allowedOrigins {
		if a == "*" || strings.EqualFold(a, o) {
			return true
		}
	}
	u, err := url.Parse(o)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") {
		return false
	}
	h := u.Hostname()
	if h == "localhost" {
		return true
	}
	ip := net.ParseIP(h)
	return ip != nil && ip.IsLoopback()
}

func accepts(header string, types ...string) bool {
	found := make([]bool, len(types))
	for _, part := range strings.Split(header, ",") {
		mt, _, err := mime.ParseMediaType(strings.TrimSpace(part))
		if err != nil {
			continue
		}
		for i, t := range types {
			if mt == t || mt == "*/*" || (strings.HasSuffix(mt, "/*") && strings.HasPrefix(t, strings.TrimSuffix(mt, "*"))) {
				found[i] = true
			}
		}
	}
	for _, f := range found {
		if !f {
			return false
		}
	}
	return true
}

func (s *server) handleMCP(w http.ResponseWriter, r *http.Request) {
	if !s.originAllowed(r.Header.Get("Origin")) {
		httpError(w, http.StatusForbidden, codeServer, "Forbidden: Origin "+r.Header.Get("Origin")+" is not allowed (add it to --allowed-origins)")
		return
	}
	if !s.authorized(r.Header.Get("Authorization")) {
		challenge := `Bearer realm="mcp"`
		if r.Header.Get("Authorization") != "" {
			challenge += `, error="invalid_token"`
		}
		w.Header().Set("WWW-Authenticate", challenge)
		httpError(w, http.StatusUnauthorized, codeServer, "Unauthorized: this server needs Authorization: Bearer <token> (the token kaos generated: kaos mcp token NAME)")
		return
	}
	if v := r.Header.Get("Mcp-Protocol-Version"); v != "" && !knownProtocols[v] {
		httpError(w, http.StatusBadRequest, codeServer, "Bad Request: unsupported MCP-Protocol-Version "+v)
		return
	}
	switch r.Method {
	case http.MethodPost:
		s.handlePost(w, r)
	case http.MethodGet:
		s.handleGet(w, r)
	case http.MethodDelete:
		s.handleDelete(w, r)
	default:
		w.Header().Set("Allow", "GET, POST, DELETE")
		httpError(w, http.StatusMethodNotAllowed, codeServer, "Method Not Allowed: use POST, GET or DELETE")
	}
}

// lookup finds the session a follow-up request names: 400 without a header, 404 when unknown
// or ended (the client must then initialize again).
func (s *server) lookup(w http.ResponseWriter, r *http.Request) *session {
	id := r.Header.Get("Mcp-Session-Id")
	if id == "" {
		httpError(w, http.StatusBadRequest, codeServer, "Bad Request: Mcp-Session-Id header is required (send initialize first)")
		return nil
	}
	s.mu.Lock()
	sess := s.sessions[id]
	s.mu.Unlock()
	if sess == nil || sess.isClosed() {
		httpError(w, http.StatusNotFound, codeServer, "Not Found: session does not exist or has ended; initialize a new one")
		return nil
	}
	return sess
}

func (s *server) handlePost(w http.ResponseWriter, r *http.Request) {
	if !accepts(r.Header.Get("Accept"), "application/json", "text/event-stream") {
		httpError(w, http.StatusNotAcceptable, codeServer, "Not Acceptable: Accept must list application/json and text/event-stream")
		return
	}
	if mt, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type")); mt != "application/json" {
		httpError(w, http.StatusUnsupportedMediaType, codeServer, "Unsupported Media Type: Content-Type must be application/json")
		return
	}
	body, err := io.ReadAll(io.LimitReader(r.Body, maxBody+1))
	if err != nil {
		httpError(w, http.StatusBadRequest, codeParseError, "Bad Request: could not read the body")
		return
	}
	if len(body) > maxBody {
		httpError(w, http.StatusRequestEntityTooLarge, codeInvalidRequest, "Request Entity Too Large: the body exceeds 16 MiB")
		return
	}
	body = bytes.TrimSpace(body)
	if len(body) > 0 && body[0] == '[' {
		// Since 2025-06-18 a POST carries exactly one message; batches were removed.
		httpError(w, http.StatusBadRequest, codeInvalidRequest, "Bad Request: JSON-RPC batches are not supported; send one message per POST")
		return
	}
	if bytes.ContainsAny(body, "\r\n") {
		// stdio frames messages by line: a pretty-printed body must become one line.
		var c bytes.Buffer
		if json.Compact(&c, body) == nil {
			body = c.Bytes()
		}
	}
	var m message
	if err := json.Unmarshal(body, &m); err != nil {
		httpError(w, http.StatusBadRequest, codeParseError, "Parse error: the body is not a JSON-RPC message")
		return
	}
	if m.Method == "initialize" && m.isRequest() {
		if r.Header.Get("Mcp-Session-Id") != "" {
			httpError(w, http.StatusBadRequest, codeInvalidRequest, "Bad Request: initialize starts a new session and must not carry Mcp-Session-Id")
			return
		}
		s.handleInitialize(w, r, &m)
		return
	}
	sess := s.lookup(w, r)
	if sess == nil {
		return
	}
	sess.busy.Add(1)
	sess.touch()
	defer func() {
		sess.touch()
		sess.busy.Add(-1)
	}()
	switch {
	case m.isRequest():
		s.serveRequest(w, r, sess, &m)
	case m.isNotification():
		var err error
		switch {
		case m.Method == "notifications/initialized" && sess.up.shared:
			// The adapter initialized the shared child itself, once.
		case m.Method == "notifications/cancelled":
			err = sess.up.cancel(sess, &m)
		default:
			err = sess.up.write(m.encode())
		}
		if err != nil {
			httpError(w, http.StatusServiceUnavailable, codeServer, "the MCP server process has exited")
			return
		}
		w.WriteHeader(http.StatusAccepted)
	case m.isResponse():
		if !sess.up.answer(sess, &m) {
			httpError(w, http.StatusBadRequest, codeInvalidRequest, "Bad Request: no request of the server with this id awaits an answer from this session")
			return
		}
		w.WriteHeader(http.StatusAccepted)
	default:
		httpError(w, http.StatusBadRequest, codeInvalidRequest, "Bad Request: not a JSON-RPC request, notification or response")
	}
}

// serveRequest forwards one request and streams what comes back: plain JSON when the answer is
// the first thing the child sends for it, SSE when notifications or requests come first.
func (s *server) serveRequest(w http.ResponseWriter, r *http.Request, sess *session, m *message) {
	origID := m.ID
	out := newOutbox()
	defer out.close()
	if err := sess.up.forward(sess, m, out); err != nil {
		writeJSON(w, http.StatusServiceUnavailable, errorResponse(origID, codeServer, "the MCP server process has exited"))
		return
	}
	var flusher http.Flusher
	sse := false
	for {
		msgs, final := out.take()
		if len(msgs) > 0 {
			if !sse && final && len(msgs) == 1 {
				writeJSON(w, http.StatusOK, msgs[0])
				return
			}
			if !sse {
				flusher = s.startSSE(w, r, sess)
				sse = true
			}
			for _, b := range msgs {
				writeEvent(w, sess.nextEventID(), b)
			}
			flusher.Flush()
			if final {
				return
			}
		}
		select {
		case <-out.wake:
		case <-r.Context().Done():
			return // not a cancellation (the spec says so); the answer is dropped when it comes
		case <-sess.done:
			if !sse {
				writeJSON(w, http.StatusNotFound, errorResponse(origID, codeServer, "the session ended before the MCP server answered"))
			}
			return
		case <-sess.up.dead:
			b := errorResponse(origID, codeServer, "the MCP server process "+sess.up.exitDesc+" before answering")
			if !sse {
				writeJSON(w, http.StatusOK, b)
			} else {
				writeEvent(w, sess.nextEventID(), b)
				flusher.Flush()
			}
			return
		}
	}
}

func writeJSON(w http.ResponseWriter, status int, b []byte) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	w.Write(b)
}

func protocolOf(r *http.Request, sess *session) string {
	if v := r.Header.Get("Mcp-Protocol-Version"); v != "" {
		return v
	}
	return sess.protocol
}

func (s *server) startSSE(w http.ResponseWriter, r *http.Request, sess *session) http.Flusher {
	h := w.Header()
	h.Set("Content-Type", "text/event-stream")
	h.Set("Cache-Control", "no-cache, no-transform")
	h.Set("X-Accel-Buffering", "no")
	if sess != nil {
		h.Set("Mcp-Session-Id", sess.id)
	}
	w.WriteHeader(http.StatusOK)
	// 2025-11-25 clients expect a priming event (an id, empty data); older ones may choke on it.
	if sess != nil && protocolOf(r, sess) >= "2025-11-25" {
		io.WriteString(w, "id: "+sess.nextEventID()+"\ndata: \n\n")
	}
	f, _ := w.(http.Flusher)
	if f == nil {
		f = noFlush{}
	}
	f.Flush()
	return f
}

type noFlush struct{}

func (noFlush) Flush() {}

func writeEvent(w io.Writer, id string, b []byte) {
	var buf bytes.Buffer
	buf.Grow(len(b) + len(id) + 32)
	buf.WriteString("event: message\nid: ")
	buf.WriteString(id)
	buf.WriteString("\ndata: ")
	buf.Write(b)
	buf.WriteString("\n\n")
	w.Write(buf.Bytes())
}

func (s *server) handleGet(w http.ResponseWriter, r *http.Request) {
	if !accepts(r.Header.Get("Accept"), "text/event-stream") {
		httpError(w, http.StatusNotAcceptable, codeServer, "Not Acceptable: Accept must list text/event-stream")
		return
	}
	sess := s.lookup(w, r)
	if sess == nil {
		return
	}
	out := newOutbox()
	sess.mu.Lock()
	if sess.get != nil {
		sess.mu.Unlock()
		httpError(w, http.StatusConflict, codeServer, "Conflict: this session already has an open GET stream")
		return
	}
	sess.get = out
	sess.mu.Unlock()
	sess.busy.Add(1)
	sess.touch()
	defer func() {
		sess.mu.Lock()
		if sess.get == out {
			sess.get = nil
		}
		sess.mu.Unlock()
		out.close()
		sess.touch()
		sess.busy.Add(-1)
	}()
	flusher := s.startSSE(w, r, sess)
	keepalive := time.NewTicker(25 * time.Second)
	defer keepalive.Stop()
	for {
		msgs, _ := out.take()
		if len(msgs) > 0 {
			for _, b := range msgs {
				writeEvent(w, sess.nextEventID(), b)
			}
			flusher.Flush()
		}
		select {
		case <-out.wake:
		case <-keepalive.C:
			// Proxies close quiet connections; a comment line keeps this one open.
			io.WriteString(w, ": keepalive\n\n")
			flusher.Flush()
		case <-r.Context().Done():
			return
		case <-sess.done:
			return
		}
	}
}

func (s *server) handleDelete(w http.ResponseWriter, r *http.Request) {
	sess := s.lookup(w, r)
	if sess == nil {
		return
	}
	s.endSession(sess, "ended by the client")
	w.WriteHeader(http.StatusOK)
}

func (s *server) handleInitialize(w http.ResponseWriter, r *http.Request, m *message) {
	if s.stopping.Load() {
		httpError(w, http.StatusServiceUnavailable, codeServer, "the adapter is shutting down")
		return
	}
	if !s.ready.Load() {
		// Until the startup check passed there is no InitializeResult to give (shared) and no
		// evidence the command works (per-session).
		w.Header().Set("Retry-After", "1")
		httpError(w, http.StatusServiceUnavailable, codeServer, "the MCP server is still starting; retry shortly")
		return
	}
	if s.cfg.mode == modeShared {
		s.initShared(w, m)
		return
	}
	s.initPerSession(w, r, m)
}

func (s *server) tooMany(w http.ResponseWriter) {
	w.Header().Set("Retry-After", "5")
	httpError(w, http.StatusServiceUnavailable, codeServer, fmt.Sprintf("too many sessions (the limit is %d; raise --max-sessions, or end sessions with DELETE)", s.cfg.maxSessions))
}

func (s *server) initShared(w http.ResponseWriter, m *message) {
	if !s.shared.alive() {
		writeJSON(w, http.StatusServiceUnavailable, errorResponse(m.ID, codeServer, "the MCP server process "+s.shared.exitDesc))
		return
	}
	result, version := negotiate(s.initResult, m.Params)
	sess := newSession(newSessionID(), s.shared, m.Params)
	sess.protocol = version
	s.mu.Lock()
	if len(s.sessions) >= s.cfg.maxSessions {
		s.mu.Unlock()
		s.tooMany(w)
		return
	}
	s.sessions[sess.id] = sess
	s.mu.Unlock()
	s.shared.attach(sess)
	w.Header().Set("Mcp-Session-Id", sess.id)
	writeJSON(w, http.StatusOK, (&message{ID: m.ID, Result: result}).encode())
}

func (s *server) initPerSession(w http.ResponseWriter, r *http.Request, m *message) {
	s.mu.Lock()
	if len(s.sessions)+s.starting >= s.cfg.maxSessions {
		s.mu.Unlock()
		s.tooMany(w)
		return
	}
	s.starting++
	s.mu.Unlock()
	registered := false
	defer func() {
		if !registered {
			s.mu.Lock()
			s.starting--
			s.mu.Unlock()
		}
	}()

	id := newSessionID()
	label := "session " + id[:8]
	u, err := startUpstream(s.cfg.command, s.env, "the MCP server of "+label, "["+label+"] ", false)
	if err != nil {
		s.markUnhealthy(err.Error())
		writeJSON(w, http.StatusInternalServerError, errorResponse(m.ID, codeInternal, err.Error()))
		return
	}
	ctx, cancel := context.WithTimeout(r.Context(), s.cfg.initTimeout)
	defer cancel()
	res, err := u.call(ctx, "initialize", m.Params)
	if err != nil {
		go u.stop(s.cfg.grace)
		if r.Context().Err() != nil {
			return // the client gave up; not the child's fault
		}
		err = explainChildErr(u, "answer initialize", s.cfg.initTimeout, err)
		s.markUnhealthy(err.Error())
		logf("%s: %v", label, err)
		writeJSON(w, http.StatusInternalServerError, errorResponse(m.ID, codeInternal, err.Error()))
		return
	}
	if len(res.Error) > 0 {
		go u.stop(s.cfg.grace)
		writeJSON(w, http.StatusOK, (&message{ID: m.ID, Error: res.Error}).encode())
		return
	}
	s.healthy.Store(true)
	sess := newSession(id, u, m.Params)
	u.attach(sess)
	s.mu.Lock()
	s.starting--
	s.sessions[sess.id] = sess
	s.mu.Unlock()
	registered = true
	go func() {
		select {
		case <-u.dead:
			if s.endSession(sess, "") && !s.stopping.Load() {
				logf("%s: the MCP server %s; the session is over (its client gets 404 and re-initializes)", label, u.exitDesc)
			}
		case <-sess.done:
		}
	}()
	w.Header().Set("Mcp-Session-Id", sess.id)
	writeJSON(w, http.StatusOK, (&message{ID: m.ID, Result: res.Result}).encode())
}

func (s *server) markUnhealthy(reason string) {
	s.reason.Store(reason)
	s.healthy.Store(false)
}

// endSession forgets a session and, in per-session mode, ends its child's process group.
// It returns once the child is gone, so "DELETE answered" means "no process left".
func (s *server) endSession(sess *session, why string) bool {
	s.mu.Lock()
	if s.sessions[sess.id] == sess {
		delete(s.sessions, sess.id)
	}
	s.mu.Unlock()
	first := sess.end()
	if !sess.up.shared {
		sess.up.stop(s.cfg.grace)
	}
	if first && why != "" {
		logf("session %s %s", sess.short(), why)
	}
	return first
}

// reapIdle ends sessions nobody has used for --idle-timeout (no request, no open stream).
func (s *server) reapIdle(stop <-chan struct{}) {
	tick := s.cfg.idleTimeout / 4
	if tick < 100*time.Millisecond {
		tick = 100 * time.Millisecond
	}
	if tick > 30*time.Second {
		tick = 30 * time.Second
	}
	t := time.NewTicker(tick)
	defer t.Stop()
	for {
		select {
		case <-stop:
			return
		case <-t.C:
		}
		cutoff := time.Now().Add(-s.cfg.idleTimeout).UnixNano()
		s.mu.Lock()
		var idle []*session
		for _, sess := range s.sessions {
			if sess.busy.Load() == 0 && sess.lastActive.Load() < cutoff {
				idle = append(idle, sess)
			}
		}
		s.mu.Unlock()
		for _, sess := range idle {
			go s.endSession(sess, "idle for "+s.cfg.idleTimeout.String()+"; ended")
		}
	}
}

// endAll ends every session (and per-session child) in parallel.
func (s *server) endAll() {
	s.mu.Lock()
	all := make([]*session, 0, len(s.sessions))
	for _, sess := range s.sessions {
		all = append(all, sess)
	}
	s.mu.Unlock()
	var wg sync.WaitGroup
	for _, sess := range all {
		wg.Add(1)
		go func() {
			defer wg.Done()
			s.endSession(sess, "")
		}()
	}
	wg.Wait()
}

// negotiate answers one client's initialize from the shared child's InitializeResult. The child
// was initialized once, at the newest version both sides speak; a client asking for a version the
// adapter knows and that is not newer than the child's gets that version back, as the lifecycle
// rules require ("if the server supports the requested version, it MUST respond with the same").
// The child's messages are a superset of what older versions carry, so it can serve them too.
// Otherwise the client gets the child's version, and decides whether it can go on.
func negotiate(initResult json.RawMessage, params json.RawMessage) (json.RawMessage, string) {
	var res map[string]json.RawMessage
	if err := json.Unmarshal(initResult, &res); err != nil {
		return initResult, ""
	}
	var child string
	_ = json.Unmarshal(res["protocolVersion"], &child)
	var p struct {
		ProtocolVersion string `json:"protocolVersion"`
	}
	_ = json.Unmarshal(params, &p)
	want := p.ProtocolVersion
	// Versions are dates: comparing the strings orders them.
	if !knownProtocols[want] || (child != "" && want > child) || want == child {
		return initResult, child
	}
	res["protocolVersion"], _ = json.Marshal(want)
	b, err := json.Marshal(res)
	if err != nil {
		return initResult, child
	}
	return b, want
}
