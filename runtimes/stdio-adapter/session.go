package main

import (
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"sync"
	"sync/atomic"
	"time"
)

// outbox queues messages for one HTTP response stream. Pushes never block: the goroutine that
// reads the child's stdout must not wait for a slow client, or one client would stall all.
type outbox struct {
	mu     sync.Mutex
	q      [][]byte
	final  bool // the response that ends the stream is queued
	closed bool // the stream is over (answered, or the client went away)
	wake   chan struct{}
}

func newOutbox() *outbox { return &outbox{wake: make(chan struct{}, 1)} }

func (o *outbox) push(b []byte, final bool) bool {
	o.mu.Lock()
	if o.closed || o.final {
		o.mu.Unlock()
		return false
	}
	o.q = append(o.q, b)
	o.final = final
	o.mu.Unlock()
	select {
	case o.wake <- struct{}{}:
	default:
	}
	return true
}

func (o *outbox) take() ([][]byte, bool) {
	o.mu.Lock()
	q, final := o.q, o.final
	o.q = nil
	if final {
		o.closed = true
	}
	o.mu.Unlock()
	return q, final
}

func (o *outbox) close() {
	o.mu.Lock()
	o.closed = true
	o.mu.Unlock()
}

func (o *outbox) isDone() bool {
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.closed || o.final
}

type session struct {
	id       string
	up       *upstream
	protocol string
	caps     map[string]json.RawMessage

	lastActive atomic.Int64 // unix nanoseconds
	busy       atomic.Int32 // HTTP requests (and GET streams) in progress
	eventSeq   atomic.Int64

	mu        sync.Mutex
	get       *outbox
	done      chan struct{}
	closeOnce sync.Once
}

func newSessionID() string {
	var b [16]byte
	if _, err := rand.Read(b[:]); err != nil {
		panic(err)
	}
	return hex.EncodeToString(b[:])
}

func newSession(id string, up *upstream, initParams json.RawMessage) *session {
	s := &session{id: id, up: up, done: make(chan struct{})}
	var p struct {
		ProtocolVersion string                     `json:"protocolVersion"`
		Capabilities    map[string]json.RawMessage `json:"capabilities"`
	}
	_ = json.Unmarshal(initParams, &p)
	s.protocol = p.ProtocolVersion
	s.caps = p.Capabilities
	s.touch()
	return s
}

func (s *session) short() string { return s.id[:8] }

func (s *session) touch() { s.lastActive.Store(time.Now().UnixNano()) }

func (s *session) hasCapability(name string) bool {
	_, ok := s.caps[name]
	return ok
}

func (s *session) isClosed() bool {
	select {
	case <-s.done:
		return true
	default:
		return false
	}
}

func (s *session) nextEventID() string {
	return s.id[:8] + "-" + itoa(s.eventSeq.Add(1))
}

func (s *session) hasStandalone() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.get != nil
}

// pushStandalone delivers on the session's GET stream, if one is open.
func (s *session) pushStandalone(b []byte) bool {
	s.mu.Lock()
	g := s.get
	s.mu.Unlock()
	return g != nil && g.push(b, false)
}

// pushUnrelated delivers a message that belongs to no request: on the GET stream if open,
// else on the session's newest open request stream (the spec allows either), else it is
// dropped, as the spec allows when the client listens nowhere.
func (s *session) pushUnrelated(b []byte) bool {
	if s.pushStandalone(b) {
		return true
	}
	u := s.up
	u.mu.Lock()
	var best *pending
	for _, p := range u.pending {
		if p.sess == s && p.out != nil && !p.out.isDone() && (best == nil || p.seq > best.seq) {
			best = p
		}
	}
	u.mu.Unlock()
	return best != nil && best.out.push(b, false)
}

func (s *session) end() bool {
	first := false
	s.closeOnce.Do(func() {
		first = true
		close(s.done)
		s.up.detach(s)
	})
	return first
}

func itoa(n int64) string {
	var b [20]byte
	i := len(b)
	if n == 0 {
		return "0"
	}
	for n > 0 {
		i--
		b[i] = byte('0' + n%10)
		n /= 10
	}
	return string(b[i:])
}
