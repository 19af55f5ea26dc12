package main

import (
	"bytes"
	"encoding/json"
	"strconv"
)

// message is one JSON-RPC 2.0 message. Fields stay raw: the adapter rewrites ids and progress
// tokens and otherwise passes bytes through unparsed.
type message struct {
	JSONRPC string          `json:"jsonrpc"`
	ID      json.RawMessage `json:"id,omitempty"`
	Method  string          `json:"method,omitempty"`
	Params  json.RawMessage `json:"params,omitempty"`
	Result  json.RawMessage `json:"result,omitempty"`
	Error   json.RawMessage `json:"error,omitempty"`
}

func (m *message) isRequest() bool      { return m.Method != "" && len(m.ID) > 0 }
func (m *message) isNotification() bool { return m.Method != "" && len(m.ID) == 0 }
func (m *message) isResponse() bool {
	return m.Method == "" && len(m.ID) > 0 && (len(m.Result) > 0 || len(m.Error) > 0)
}

// encode writes the message as one line of JSON. Raw fields are copied as they are: they come
// from a successful decode of a line (child) or of a compacted body (client), so they hold no
// line breaks, and re-marshalling them would only cost time on every call.
func (m *message) encode() []byte {
	n := 32 + len(m.ID) + len(m.Method) + len(m.Params) + len(m.Result) + len(m.Error)
	b := make([]byte, 0, n)
	b = append(b, `{"jsonrpc":"2.0"`...)
	if len(m.ID) > 0 {
		b = append(append(b, `,"id":`...), m.ID...)
	}
	if m.Method != "" {
		q, _ := json.Marshal(m.Method)
		b = append(append(b, `,"method":`...), q...)
	}
	if len(m.Params) > 0 {
		b = append(append(b, `,"params":`...), m.Params...)
	}
	if len(m.Result) > 0 {
		b = append(append(b, `,"result":`...), m.Result...)
	}
	if len(m.Error) > 0 {
		b = append(append(b, `,"error":`...), m.Error...)
	}
	return append(b, '}')
}

const (
	codeParseError     = -32700
	codeInvalidRequest = -32600
	codeMethodNotFound = -32601
	codeInternal       = -32603
	codeServer         = -32000
)

var nullID = json.RawMessage("null")

func errorResponse(id json.RawMessage, code int, msg string) []byte {
	if len(id) == 0 {
		id = nullID
	}
	e, _ := json.Marshal(map[string]any{"code": code, "message": msg})
	return (&message{ID: id, Error: e}).encode()
}

func intID(n int64) json.RawMessage { return json.RawMessage(strconv.AppendInt(nil, n, 10)) }

func parseIntID(id json.RawMessage) (int64, bool) {
	n, err := strconv.ParseInt(string(id), 10, 64)
	return n, err == nil
}

func stringID(s string) json.RawMessage {
	b, _ := json.Marshal(s)
	return b
}

// progressToken returns params._meta.progressToken when present.
func progressToken(params json.RawMessage) json.RawMessage {
	if !bytes.Contains(params, []byte(`"progressToken"`)) {
		return nil
	}
	var p struct {
		Meta struct {
			Token json.RawMessage `json:"progressToken"`
		} `json:"_meta"`
	}
	if json.Unmarshal(params, &p) != nil {
		return nil
	}
	return p.Meta.Token
}

// setParamPath replaces params[outer][inner] (or params[outer] when inner is empty) with v,
// keeping every other field as it was.
func setParamPath(params json.RawMessage, outer, inner string, v json.RawMessage) json.RawMessage {
	var top map[string]json.RawMessage
	if json.Unmarshal(params, &top) != nil || top == nil {
		return params
	}
	if inner == "" {
		top[outer] = v
	} else {
		var sub map[string]json.RawMessage
		if json.Unmarshal(top[outer], &sub) != nil || sub == nil {
			return params
		}
		sub[inner] = v
		b, err := json.Marshal(sub)
		if err != nil {
			return params
		}
		top[outer] = b
	}
	b, err := json.Marshal(top)
	if err != nil {
		return params
	}
	return b
}

func getParam(params json.RawMessage, key string) json.RawMessage {
	var top map[string]json.RawMessage
	if json.Unmarshal(params, &top) != nil {
		return nil
	}
	return top[key]
}
