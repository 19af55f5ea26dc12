package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"strconv"
	"strings"
	"sync"
	"time"
)

// upstream is one stdio child and the routing state for the messages it exchanges with the
// sessions attached to it: one session in per-session mode, all of them in shared mode.
//
// Every request sent to the child gets a fresh integer id, so sessions that reuse the same
// JSON-RPC ids never collide; the answer goes back to the stream that asked, with the client's
// id restored. Progress tokens are rewritten the same way so progress notifications reach the
// stream of the request that asked for them.
type upstream struct {
	label   string // for logs: "child" or "session ab12cd34"
	p       *proc
	writeMu sync.Mutex

	mu         sync.Mutex
	nextID     int64
	pending    map[int64]*pending
	progress   map[string]*pending
	serverReqs map[string]*serverReq
	nextSrvReq int64
	sessions   map[*session]struct{}
	shared     bool

	dead     chan struct{} // closed once the child has exited (or closed its stdout)
	deadOnce sync.Once
	exitDesc string
}

type pending struct {
	sess      *session
	origID    json.RawMessage
	out       *outbox
	method    string
	origToken json.RawMessage
	token     string
	seq       int64
	internal  chan *message
}

type serverReq struct {
	sess    *session
	childID json.RawMessage
}

var errChildGone = errors.New("the MCP server process has exited")

// live holds every child not yet stopped, so shutdown reaches children whose session was
// still being set up.
var live = struct {
	sync.Mutex
	m map[*upstream]struct{}
}{m: map[*upstream]struct{}{}}

func stopAllChildren(grace time.Duration) {
	live.Lock()
	all := make([]*upstream, 0, len(live.m))
	for u := range live.m {
		all = append(all, u)
	}
	live.Unlock()
	var wg sync.WaitGroup
	for _, u := range all {
		wg.Add(1)
		go func() {
			defer wg.Done()
			u.stop(grace)
		}()
	}
	wg.Wait()
}

func startUpstream(argv, env []string, label, stderrPrefix string, shared bool) (*upstream, error) {
	p, err := spawn(argv, env)
	if err != nil {
		return nil, err
	}
	u := &upstream{
		label:      label,
		p:          p,
		pending:    map[int64]*pending{},
		progress:   map[string]*pending{},
		serverReqs: map[string]*serverReq{},
		sessions:   map[*session]struct{}{},
		shared:     shared,
		dead:       make(chan struct{}),
	}
	live.Lock()
	live.m[u] = struct{}{}
	live.Unlock()
	go pipeLines(p.stderr, os.Stderr, stderrPrefix)
	eof := make(chan struct{})
	go func() {
		u.readLoop()
		close(eof)
	}()
	go func() {
		select {
		case <-p.done:
			u.exitDesc = describeExit(p)
		case <-eof:
			// Usually the exit follows at once; its status says more than the EOF does.
			select {
			case <-p.done:
				u.exitDesc = describeExit(p)
			case <-time.After(2 * time.Second):
				// A child that closes stdout can no longer answer: it counts as gone.
				u.exitDesc = "closed its stdout"
			}
		}
		u.markDead()
	}()
	return u, nil
}

func describeExit(p *proc) string {
	ws := p.status
	switch {
	case ws.Exited():
		return fmt.Sprintf("exited with status %d", ws.ExitStatus())
	case ws.Signaled():
		return fmt.Sprintf("was killed by signal %v", ws.Signal())
	}
	return "exited"
}

func (u *upstream) markDead() {
	u.deadOnce.Do(func() { close(u.dead) })
}

func (u *upstream) alive() bool {
	select {
	case <-u.dead:
		return false
	default:
		return true
	}
}

func (u *upstream) stop(grace time.Duration) {
	u.p.stop(grace)
	u.markDead()
	live.Lock()
	delete(live.m, u)
	live.Unlock()
}

func (u *upstream) write(b []byte) error {
	if !u.alive() {
		return errChildGone
	}
	buf := make([]byte, 0, len(b)+1)
	buf = append(append(buf, b...), '\n')
	u.writeMu.Lock()
	_, err := u.p.stdin.Write(buf)
	u.writeMu.Unlock()
	if err != nil {
		return errChildGone
	}
	return nil
}

func (u *upstream) readLoop() {
	br := bufio.NewReaderSize(u.p.stdout, 256*1024)
	for {
		line, err := br.ReadBytes('\n')
		if line = bytes.TrimSpace(line); len(line) > 0 {
			u.dispatch(line)
		}
		if err != nil {
			return
		}
	}
}

func (u *upstream) dispatch(line []byte) {
	var m message
	if err := json.Unmarshal(line, &m); err != nil || (m.Method == "" && len(m.ID) == 0) {
		// Some servers print banners on stdout; that breaks the stdio contract but need not
		// break the adapter. The line itself is not logged: it could carry data.
		logf("%s wrote a line to stdout that is not a JSON-RPC message (%d bytes); ignored", u.label, len(line))
		return
	}
	switch {
	case m.isResponse():
		u.onResponse(&m)
	case m.isRequest():
		u.onServerRequest(&m)
	case m.isNotification():
		u.onNotification(&m)
	}
}

// call sends a request of the adapter's own (initialize, tools/list) and waits for the answer.
func (u *upstream) call(ctx context.Context, method string, params json.RawMessage) (*message, error) {
	ch := make(chan *message, 1)
	u.mu.Lock()
	u.nextID++
	id := u.nextID
	u.pending[id] = &pending{internal: ch, method: method, seq: id}
	u.mu.Unlock()
	defer func() {
		u.mu.Lock()
		delete(u.pending, id)
		u.mu.Unlock()
	}()
	if err := u.write((&message{ID: intID(id), Method: method, Params: params}).encode()); err != nil {
		return nil, err
	}
	select {
	case m := <-ch:
		return m, nil
	case <-u.dead:
		return nil, errChildGone
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

func (u *upstream) notify(method string, params json.RawMessage) error {
	return u.write((&message{Method: method, Params: params}).encode())
}

func (u *upstream) attach(s *session) {
	u.mu.Lock()
	u.sessions[s] = struct{}{}
	u.mu.Unlock()
}

// forward sends a client's request to the child; the answer will be pushed to out.
func (u *upstream) forward(s *session, m *message, out *outbox) error {
	u.mu.Lock()
	u.nextID++
	id := u.nextID
	p := &pending{sess: s, origID: m.ID, out: out, method: m.Method, seq: id}
	if tok := progressToken(m.Params); tok != nil {
		p.origToken = tok
		p.token = "kaos-progress-" + strconv.FormatInt(id, 10)
		u.progress[p.token] = p
		m.Params = setParamPath(m.Params, "_meta", "progressToken", stringID(p.token))
	}
	u.pending[id] = p
	u.mu.Unlock()
	m.ID = intID(id)
	if err := u.write(m.encode()); err != nil {
		u.mu.Lock()
		delete(u.pending, id)
		delete(u.progress, p.token)
		u.mu.Unlock()
		return err
	}
	return nil
}

// cancel rewrites a client's notifications/cancelled to the id the child knows.
func (u *upstream) cancel(s *session, m *message) error {
	reqID := getParam(m.Params, "requestId")
	var childID int64 = -1
	u.mu.Lock()
	for id, p := range u.pending {
		if p.sess == s && bytes.Equal(p.origID, reqID) {
			childID = id
			break
		}
	}
	u.mu.Unlock()
	if childID < 0 {
		return nil // already answered: nothing to cancel
	}
	m.Params = setParamPath(m.Params, "requestId", "", intID(childID))
	return u.write(m.encode())
}

// answer passes a client's response to a server-initiated request back to the child.
func (u *upstream) answer(s *session, m *message) bool {
	var key string
	if json.Unmarshal(m.ID, &key) != nil {
		return false
	}
	u.mu.Lock()
	r := u.serverReqs[key]
	if r != nil && r.sess == s {
		delete(u.serverReqs, key)
	}
	u.mu.Unlock()
	if r == nil || r.sess != s {
		return false
	}
	m.ID = r.childID
	return u.write(m.encode()) == nil
}

func (u *upstream) onResponse(m *message) {
	id, ok := parseIntID(m.ID)
	if !ok {
		return
	}
	u.mu.Lock()
	p := u.pending[id]
	if p != nil {
		delete(u.pending, id)
		if p.token != "" {
			delete(u.progress, p.token)
		}
	}
	u.mu.Unlock()
	if p == nil {
		return // its session ended meanwhile
	}
	if p.internal != nil {
		p.internal <- m
		return
	}
	m.ID = p.origID
	p.out.push(m.encode(), true)
}

// routeTarget picks the session and stream for a message from the child that names no request:
// the newest request still in flight, preferring the ones that run server code which may call
// back (tools/call, prompts/get, resources/read, completion/complete) over listing requests.
// With one request in flight (and always in per-session mode with one client) this is exact;
// with several sessions busy at once it is a best guess, which the README documents.
func (u *upstream) routeTarget() *pending {
	u.mu.Lock()
	defer u.mu.Unlock()
	var best *pending
	bestRank := -1
	for _, p := range u.pending {
		if p.sess == nil || p.out == nil || p.out.isDone() {
			continue
		}
		rank := 0
		switch p.method {
		case "tools/call", "prompts/get", "resources/read", "completion/complete":
			rank = 1
		}
		if rank > bestRank || (rank == bestRank && p.seq > best.seq) {
			best, bestRank = p, rank
		}
	}
	return best
}

func capabilityFor(method string) string {
	switch {
	case strings.HasPrefix(method, "sampling/"):
		return "sampling"
	case strings.HasPrefix(method, "elicitation/"):
		return "elicitation"
	case strings.HasPrefix(method, "roots/"):
		return "roots"
	}
	return ""
}

func (u *upstream) refuse(id json.RawMessage, code int, msg string) {
	b := errorResponse(id, code, msg)
	// Not from the read loop: a child that is blocked writing to us would never drain stdin.
	go func() { _ = u.write(b) }()
}

func (u *upstream) onServerRequest(m *message) {
	var sess *session
	var out *outbox
	if p := u.routeTarget(); p != nil {
		sess, out = p.sess, p.out
	} else {
		sess = u.lastActiveSessionWithStream()
	}
	if sess == nil {
		u.refuse(m.ID, codeInternal, "kaos-stdio-adapter: no client can answer "+m.Method+" now (no request in flight and no open GET stream)")
		return
	}
	if c := capabilityFor(m.Method); c != "" && !sess.hasCapability(c) {
		u.refuse(m.ID, codeMethodNotFound, "kaos-stdio-adapter: the client of this session did not declare the "+c+" capability")
		return
	}
	childID := m.ID
	u.mu.Lock()
	u.nextSrvReq++
	key := "kaos-" + strconv.FormatInt(u.nextSrvReq, 10)
	u.serverReqs[key] = &serverReq{sess: sess, childID: childID}
	u.mu.Unlock()
	m.ID = stringID(key)
	b := m.encode()
	if (out != nil && out.push(b, false)) || sess.pushStandalone(b) {
		return
	}
	u.mu.Lock()
	delete(u.serverReqs, key)
	u.mu.Unlock()
	u.refuse(childID, codeInternal, "kaos-stdio-adapter: the client's stream closed before "+m.Method+" could be delivered")
}

func (u *upstream) lastActiveSessionWithStream() *session {
	u.mu.Lock()
	defer u.mu.Unlock()
	var best *session
	var bestT int64
	for s := range u.sessions {
		if s.hasStandalone() {
			if t := s.lastActive.Load(); best == nil || t > bestT {
				best, bestT = s, t
			}
		}
	}
	return best
}

func (u *upstream) sessionList() []*session {
	u.mu.Lock()
	defer u.mu.Unlock()
	out := make([]*session, 0, len(u.sessions))
	for s := range u.sessions {
		out = append(out, s)
	}
	return out
}

func (u *upstream) onNotification(m *message) {
	switch {
	case m.Method == "notifications/progress":
		tok := getParam(m.Params, "progressToken")
		var key string
		if json.Unmarshal(tok, &key) != nil {
			return
		}
		u.mu.Lock()
		p := u.progress[key]
		u.mu.Unlock()
		if p == nil {
			return
		}
		m.Params = setParamPath(m.Params, "progressToken", "", p.origToken)
		b := m.encode()
		if !p.out.push(b, false) {
			p.sess.pushStandalone(b)
		}
	case m.Method == "notifications/cancelled":
		// The child gives up on a request it sent to a client: tell that client, in its ids.
		childID := getParam(m.Params, "requestId")
		u.mu.Lock()
		var target *session
		for key, r := range u.serverReqs {
			if bytes.Equal(r.childID, childID) {
				target = r.sess
				m.Params = setParamPath(m.Params, "requestId", "", stringID(key))
				delete(u.serverReqs, key)
				break
			}
		}
		u.mu.Unlock()
		if target != nil {
			target.pushUnrelated(m.encode())
		}
	case strings.HasSuffix(m.Method, "/list_changed") || m.Method == "notifications/resources/updated":
		// The child has one view of its tools, prompts and resources; every session shares it.
		b := m.encode()
		for _, s := range u.sessionList() {
			s.pushUnrelated(b)
		}
	default:
		// Log messages and the like: with the request they most likely belong to, else to every
		// session listening (shared mode's child has one client, the adapter, and speaks to all).
		b := m.encode()
		if p := u.routeTarget(); p != nil && p.out.push(b, false) {
			return
		}
		for _, s := range u.sessionList() {
			s.pushStandalone(b)
		}
	}
}

// detach forgets a session that ended: its requests still at the child are cancelled and the
// child's requests to it are refused, so nothing waits for a client that has gone.
func (u *upstream) detach(s *session) {
	u.mu.Lock()
	delete(u.sessions, s)
	var cancelled []int64
	for id, p := range u.pending {
		if p.sess == s {
			cancelled = append(cancelled, id)
			delete(u.pending, id)
			if p.token != "" {
				delete(u.progress, p.token)
			}
		}
	}
	var refused []json.RawMessage
	for key, r := range u.serverReqs {
		if r.sess == s {
			refused = append(refused, r.childID)
			delete(u.serverReqs, key)
		}
	}
	u.mu.Unlock()
	if !u.shared || !u.alive() {
		return
	}
	go func() {
		for _, id := range cancelled {
			params, _ := json.Marshal(map[string]any{"requestId": id, "reason": "the client's session ended"})
			_ = u.notify("notifications/cancelled", params)
		}
		for _, id := range refused {
			_ = u.write(errorResponse(id, codeInternal, "kaos-stdio-adapter: the client's session ended"))
		}
	}()
}
