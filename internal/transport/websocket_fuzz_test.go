package transport_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	"github.com/edupulse/edupulse-live/internal/auth"
	"github.com/edupulse/edupulse-live/internal/transport"
)

// FuzzWebsocket sends arbitrary frames to /query over a real websocket, in
// either subprotocol, on a connection that is fresh, initialised with a
// valid token, or refused for a forged one. Then it sends a probe (a ping
// on graphql-transport-ws, a start of `{__typename}` on graphql-ws) and
// reads until the probe is answered or the connection closes.
//
// Properties: the server never panics (1011) and always answers, within the
// time a client waits, with the probe's answer or a close code of the
// protocol; every message it sends is a JSON object of a type the protocol
// has, whose errors carry the contract's codes and show no internals; on
// graphql-transport-ws an `error` for an id is never followed by a
// `complete` for it, and a close with 4408 (no connection_init in time)
// never follows a connection_init.
func FuzzWebsocket(f *testing.F) {
	s := newStack(f, func(o *transport.WebsocketOptions) { o.InitTimeout = 2 * time.Second })
	url := s.url
	other, err := auth.NewTokens([]byte("another-secret-of-at-least-32-bytes!!"))
	if err != nil {
		f.Fatal(err)
	}
	forged, err := other.Issue(newActor(auth.RoleAdmin), time.Hour)
	if err != nil {
		f.Fatal(err)
	}
	bearer := []string{"",
		"Bearer " + s.token(f, newActor(auth.RoleStudent)),
		"Bearer " + s.token(f, newActor(auth.RoleTeacher)),
		"Bearer " + s.token(f, newActor(auth.RoleAdmin)),
		"Bearer " + forged,
	}

	join := func(frames ...string) []byte { return []byte(strings.Join(frames, "\n")) }
	sub := `{"type":"subscribe","id":"1","payload":{"query":"subscription{myEvents{id cursor}}"}}`
	for _, seed := range []struct {
		legacy bool
		init   uint8
		frames []byte
	}{
		{false, 1, join(sub)},
		{false, 1, join(sub, `{"type":"complete","id":"1"}`)},
		{false, 1, join(sub, sub)},
		{false, 1, join(`{"type":"subscribe","id":"2","payload":{"query":"subscription{events{id}}"}}`)},
		{false, 3, join(`{"type":"subscribe","id":"2","payload":{"query":"subscription{events{id}}"}}`)},
		{false, 1, join(`{"type":"subscribe","id":"3","payload":{"query":"subscription{pulseEvents(pulseId:\"0a000000-0000-4000-8000-000000000001\",after:\"!!\"){id}}"}}`)},
		{false, 1, join(`{"type":"subscribe","id":"4","payload":{"query":"{viewer{id}}"}}`)},
		{false, 1, join(`{"type":"subscribe","id":"5","payload":{"query":"subscription{"}}`)},
		{false, 1, join(`{"type":"subscribe","id":"6","payload":{"extensions":{"persistedQuery":{"version":1,"sha256Hash":"00"}}}}`)},
		{false, 1, join(`{"type":"connection_init"}`)},
		{false, 0, join(sub)},
		{false, 0, nil}, // the probe's ping is the first message
		{false, 0, join(`{"type":"complete","id":"1"}`)},
		{false, 0, join(`{"type":"connection_init","payload":{"Authorization":"Bearer x.y.z"}}`)},
		{false, 0, join(`{"type":"connection_init","payload":[1]}`)},
		{false, 0, join(`{"type":"connection_init","payload":"Bearer"}`)},
		{false, 1, join(`{"type":"next","id":"1","payload":{}}`)},
		{false, 1, join(`not json`)},
		{false, 1, join(`{"type":"subscribe","id":"` + strings.Repeat("i", 200) + `","payload":{"query":"subscription{myEvents{id}}"}}`)},
		{false, 1, join(strings.Repeat("x", 70<<10))},
		{true, 1, join(`{"type":"start","id":"1","payload":{"query":"subscription{myEvents{id}}"}}`, `{"type":"stop","id":"1"}`)},
		{true, 1, join(`{"type":"start","id":"1","payload":{"query":"subscription{myEvents{id}}"}}`, `{"type":"start","id":"1","payload":{"query":"subscription{myEvents{id}}"}}`)},
		{true, 0, join(`{"type":"connection_init","payload":{"authorization":"bearer x"}}`)},
		{true, 0, join(`{"type":"start","id":"1"}`)},
		{true, 1, join(`{"type":"connection_terminate"}`)},
		{true, 3, nil},
	} {
		f.Add(seed.legacy, seed.init, seed.frames)
	}

	f.Fuzz(func(t *testing.T, legacy bool, init uint8, frames []byte) {
		proto := "graphql-transport-ws"
		if legacy {
			proto = "graphql-ws"
		}
		d := websocket.Dialer{HandshakeTimeout: 5 * time.Second, Subprotocols: []string{proto}}
		c, resp, err := d.Dial(url, nil)
		if resp != nil {
			_ = resp.Body.Close()
		}
		if err != nil {
			t.Fatalf("dial: %v", err)
		}
		defer c.Close()
		deadline := time.Now().Add(5 * time.Second)
		_ = c.SetReadDeadline(deadline)
		_ = c.SetWriteDeadline(deadline)

		sent := bytes.Buffer{}
		send := func(b []byte) {
			sent.Write(b)
			// A write can fail once the server has closed: the reads tell.
			_ = c.WriteMessage(websocket.TextMessage, b)
		}
		// init: 0 none, then the caller of fzStack.bearer (student,
		// teacher, admin, forged).
		sentInit := false
		if who := int(init) % 5; who > 0 {
			payload, _ := json.Marshal(map[string]any{"type": "connection_init", "payload": map[string]string{"Authorization": bearer[who]}})
			send(payload)
			sentInit = true
		}
		subscribed := map[string]int{}
		for _, frame := range bytes.Split(frames, []byte("\n")) {
			if len(frames) == 0 {
				break
			}
			var m struct {
				Type string `json:"type"`
				ID   string `json:"id"`
			}
			if json.Unmarshal(frame, &m) == nil {
				if m.Type == "subscribe" || m.Type == "start" {
					subscribed[m.ID]++
				}
				if m.Type == "connection_init" {
					sentInit = true
				}
			}
			send(frame)
		}
		if legacy {
			send([]byte(`{"type":"start","id":"fz-probe","payload":{"query":"{__typename}"}}`))
		} else {
			send([]byte(`{"type":"ping","payload":{"probe":true}}`))
		}

		allowed := map[string]bool{"connection_ack": true, "ping": true, "pong": true, "next": true, "error": true, "complete": true}
		closeCodes := map[int]bool{1000: true, 1009: true, 4400: true, 4401: true, 4403: true, 4408: true, 4409: true, 4429: true}
		if legacy {
			allowed = map[string]bool{"connection_ack": true, "connection_error": true, "ka": true, "data": true, "error": true, "complete": true}
			// The legacy protocol has no close codes of its own: 1002 for
			// a protocol error, and ours (4403, 4408).
			closeCodes = map[int]bool{1000: true, 1002: true, 1009: true, 4403: true, 4408: true}
		}
		errored := map[string]bool{}
		for {
			_, data, err := c.ReadMessage()
			if err != nil {
				var ce *websocket.CloseError
				if !errors.As(err, &ce) {
					t.Fatalf("%s: neither an answer to the probe nor a close frame: %v", proto, err)
				}
				if !closeCodes[ce.Code] {
					t.Fatalf("%s: closed with %d %q, not a close code of the protocol", proto, ce.Code, ce.Text)
				}
				if ce.Code == 4408 && sentInit {
					t.Fatalf("%s: closed with 4408 (no connection_init in time), though one was sent", proto)
				}
				return
			}
			var m struct {
				Type    string          `json:"type"`
				ID      string          `json:"id"`
				Payload json.RawMessage `json:"payload"`
			}
			if err := json.Unmarshal(data, &m); err != nil || !allowed[m.Type] {
				t.Fatalf("%s: a message that is not one of the protocol's: %q", proto, data)
			}
			where := fmt.Sprintf("%s %s message", proto, m.Type)
			switch m.Type {
			case "error":
				fzErrors(t, sent.Bytes(), []byte(`{"errors":`+fzErrorList(m.Payload)+`}`), where)
				errored[m.ID] = true
			case "connection_error":
				fzErrors(t, sent.Bytes(), []byte(`{"errors":`+fzErrorList(m.Payload)+`}`), where)
			case "next", "data":
				if len(m.Payload) > 0 {
					fzErrors(t, sent.Bytes(), m.Payload, where)
				}
			case "complete":
				if !legacy && errored[m.ID] && subscribed[m.ID] <= 1 {
					t.Fatalf("%s: complete for %q after its error", proto, m.ID)
				}
			}
			if (!legacy && m.Type == "pong" && bytes.Contains(m.Payload, []byte("probe"))) ||
				(legacy && m.Type == "complete" && m.ID == "fz-probe") {
				return // answered
			}
		}
	})
}

// fzErrorList is an error payload as a list (graphql-transport-ws sends a
// list, gqlgen's legacy connection_error one object).
func fzErrorList(p json.RawMessage) string {
	if t := bytes.TrimSpace(p); len(t) > 0 && t[0] == '[' {
		return string(p)
	}
	if len(bytes.TrimSpace(p)) == 0 {
		return "[]"
	}
	return "[" + string(p) + "]"
}

// fzErrors checks the errors of a response body: each has a code of the
// contract, and no message shows internals. It returns the codes.
func fzErrors(t *testing.T, request, body []byte, where string) []string {
	t.Helper()
	var doc struct {
		Errors []gqlError `json:"errors"`
	}
	if err := json.Unmarshal(body, &doc); err != nil {
		t.Fatalf("%s: errors that are not a list of errors: %s", where, body)
	}
	codes := map[string]bool{"UNAUTHENTICATED": true, "FORBIDDEN": true, "BAD_USER_INPUT": true, "NOT_FOUND": true,
		"CONFLICT": true, "RATE_LIMITED": true, "SLOW_CONSUMER": true, "PERSISTED_QUERY_NOT_FOUND": true, "INTERNAL_SERVER_ERROR": true}
	var out []string
	for _, e := range doc.Errors {
		code, _ := e.Extensions["code"].(string)
		if !codes[code] {
			t.Fatalf("%s: an error without a code of the contract: %s (request %q)", where, body, request)
		}
		for _, leak := range []string{"goroutine ", "runtime/", "SQLSTATE", "sqlite", ".go:", "panic:"} {
			if strings.Contains(e.Message, leak) && !bytes.Contains(request, []byte(leak)) {
				t.Fatalf("%s: an error shows internals (%q): %s", where, leak, body)
			}
		}
		out = append(out, code)
	}
	return out
}
