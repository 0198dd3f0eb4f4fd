package chaos

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/edupulse/edupulse-live/internal/gqlclient"
)

const (
	eventSelection = `{ id aggregateId version type cursor }`
	eventsQuery    = `subscription($after: String) { events(after: $after) ` + eventSelection + ` }`
	pulseQuery     = `subscription($pulseId: UUID!, $after: String) { pulseEvents(pulseId: $pulseId, after: $after) ` + eventSelection + ` }`
	// silentFor ends a connection that has sent nothing, not even a ping
	// (the server pings every 10 s), for that long: a peer that vanished
	// without a FIN looks exactly like a quiet one otherwise.
	silentFor = 25 * time.Second
)

// subscriber is one websocket client that must see every event after its
// start cursor exactly once: on any disconnect it moves to the next
// instance and resumes from the last cursor it received.
type subscriber struct {
	log   SubLog
	token string
	query string
	vars  map[string]any
	// untilClosed ends a pulse follower once its pulse's closing arrives:
	// nothing can follow it.
	untilClosed bool

	mu         sync.Mutex
	cursor     string
	inst       int
	reconnects int
	done       bool
}

func (s *subscriber) snapshot() SubLog {
	s.mu.Lock()
	defer s.mu.Unlock()
	l := s.log
	l.Received = append([]Delivery(nil), s.log.Received...)
	return l
}

// subscribers runs every subscriber of the run.
type subscribers struct {
	f   *fleet
	obs *observations

	mu   sync.Mutex
	list []*subscriber
	wg   sync.WaitGroup

	maxPulse  int
	pulseSubs atomic.Int64
	created   atomic.Int64
}

func (ss *subscribers) add(ctx context.Context, s *subscriber) {
	ss.mu.Lock()
	ss.list = append(ss.list, s)
	ss.mu.Unlock()
	ss.wg.Add(1)
	go func() {
		defer ss.wg.Done()
		ss.follow(ctx, s)
	}()
}

// admin starts an `events` subscriber on instance i, from the cursor of an
// event written before any load.
func (ss *subscribers) admin(ctx context.Context, i int, token string, start eventRef, startPos int64) {
	ss.add(ctx, &subscriber{
		log:    SubLog{Name: fmt.Sprintf("events#%d", i+1), StartEventID: start.ID, StartPosition: startPos},
		token:  token,
		query:  eventsQuery,
		vars:   map[string]any{},
		cursor: start.Cursor,
		inst:   i,
	})
}

// pulseCreated follows every third pulse, as its teacher, from the cursor
// the creation answered: up to maxPulse followers at a time.
func (ss *subscribers) pulseCreated(ctx context.Context, pulseID string, teacher actor, created eventRef) {
	n := ss.created.Add(1)
	if n%3 != 1 || ss.pulseSubs.Load() >= int64(ss.maxPulse) {
		return
	}
	ss.pulseSubs.Add(1)
	ss.add(ctx, &subscriber{
		log: SubLog{Name: fmt.Sprintf("pulse#%d", n), Aggregate: created.AggregateID,
			StartEventID: created.ID, StartVersion: created.Version},
		token:       teacher.token,
		query:       pulseQuery,
		vars:        map[string]any{"pulseId": pulseID},
		cursor:      created.Cursor,
		inst:        int(n) % len(ss.f.insts),
		untilClosed: true,
	})
}

type wsMessage struct {
	Type    string `json:"type"`
	Payload json.RawMessage
}

type nextPayload struct {
	Data map[string]*struct {
		eventRef
		Type string
	} `json:"data"`
	Errors []struct {
		Message    string
		Extensions struct{ Code string }
	}
}

// follow keeps s subscribed until ctx ends.
func (ss *subscribers) follow(ctx context.Context, s *subscriber) {
	if s.untilClosed {
		defer ss.pulseSubs.Add(-1)
	}
	pause := 100 * time.Millisecond
	for ctx.Err() == nil {
		s.mu.Lock()
		i, after, done := s.inst, s.cursor, s.done
		s.mu.Unlock()
		if done {
			return
		}
		reason := ss.session(ctx, s, i, after)
		if ctx.Err() != nil {
			return
		}
		s.mu.Lock()
		s.inst = (i + 1) % len(ss.f.insts)
		if !s.done {
			s.reconnects++
		}
		got := len(s.log.Received)
		s.mu.Unlock()
		if c := disconnectClass(reason); c != "" {
			ss.obs.add("subscribers moved to another instance: %s", c)
		}
		if got == 0 && reason != "" {
			pause = min(pause*2, time.Second)
		} else {
			pause = 100 * time.Millisecond
		}
		select {
		case <-ctx.Done():
		case <-time.After(pause):
		}
	}
}

// session is one connection: subscribe from after, read until it ends, and
// say why it did ("" for a dial failure to an instance that is down,
// which needs no explaining).
func (ss *subscribers) session(ctx context.Context, s *subscriber, i int, after string) string {
	if !ss.f.alive(i) {
		return ""
	}
	dctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	ws, err := gqlclient.Dial(dctx, gqlclient.WSURL(ss.f.insts[i].url, "/query"), s.token)
	cancel()
	if err != nil {
		if ss.f.alive(i) {
			return "dial: " + firstLine(err.Error())
		}
		return ""
	}
	vars := map[string]any{"after": after}
	for k, v := range s.vars {
		vars[k] = v
	}
	if err := ws.Subscribe("1", s.query, vars); err != nil {
		_ = ws.Close()
		return "subscribe: " + err.Error()
	}
	var last atomic.Int64
	last.Store(time.Now().UnixNano())
	stop := make(chan struct{})
	var ended atomic.Value // string: why the harness ended the connection
	go func() {
		t := time.NewTicker(time.Second)
		defer t.Stop()
		for {
			select {
			case <-stop:
				return
			case <-ctx.Done():
				_ = ws.Close()
				return
			case <-t.C:
				if time.Since(time.Unix(0, last.Load())) > silentFor {
					ended.Store(fmt.Sprintf("silent for %s", silentFor))
					_ = ws.Close()
					return
				}
			}
		}
	}()
	err = ws.Read(func(m gqlclient.Message) {
		last.Store(m.At.UnixNano())
		var msg wsMessage
		if json.Unmarshal(m.Raw, &msg) != nil {
			return
		}
		switch msg.Type {
		case "next":
			var p nextPayload
			if err := json.Unmarshal(msg.Payload, &p); err != nil {
				ended.Store("undecodable next: " + err.Error())
				_ = ws.Close()
				return
			}
			if len(p.Errors) > 0 {
				ended.Store(fmt.Sprintf("next with error %s: %s", p.Errors[0].Extensions.Code, p.Errors[0].Message))
				return // the server sends complete next
			}
			for _, e := range p.Data {
				if e == nil {
					continue
				}
				s.mu.Lock()
				s.log.Received = append(s.log.Received, Delivery{ID: e.ID, Aggregate: e.AggregateID, Version: e.Version, At: m.At})
				s.cursor = e.Cursor
				if s.untilClosed && e.Type == "LEARNING_PULSE_CLOSED" {
					s.done = true
				}
				done := s.done
				s.mu.Unlock()
				if done {
					ended.Store("")
					_ = ws.Close()
				}
			}
		case "error":
			ended.Store("error message: " + firstLine(string(msg.Payload)))
			_ = ws.Close()
		case "complete":
			if ended.Load() == nil {
				ended.Store("complete")
			}
			_ = ws.Close()
		}
	})
	close(stop)
	_ = ws.Close()
	if why, ok := ended.Load().(string); ok {
		return why
	}
	if err != nil {
		return "read: " + firstLine(err.Error())
	}
	return "closed by peer"
}

func (ss *subscribers) all() []*subscriber {
	ss.mu.Lock()
	defer ss.mu.Unlock()
	return append([]*subscriber(nil), ss.list...)
}

func (ss *subscribers) logs() []SubLog {
	var out []SubLog
	for _, s := range ss.all() {
		out = append(out, s.snapshot())
	}
	return out
}

func (ss *subscribers) reconnects() int {
	n := 0
	for _, s := range ss.all() {
		s.mu.Lock()
		n += s.reconnects
		s.mu.Unlock()
	}
	return n
}

// disconnectClass names why a connection ended without its variable parts,
// so that the report counts kinds instead of listing every drop.
func disconnectClass(reason string) string {
	switch {
	case reason == "":
		return ""
	case strings.Contains(reason, "1012"):
		return "closed with 1012 (service restart)"
	case strings.Contains(reason, "1006"), strings.Contains(reason, "reset by peer"),
		strings.Contains(reason, "EOF"), strings.Contains(reason, "broken pipe"), reason == "closed by peer":
		return "connection dropped (1006, reset or EOF)"
	case strings.HasPrefix(reason, "dial"):
		if strings.Contains(reason, "refused") {
			return "dial refused"
		}
		return reason
	default:
		return reason
	}
}
