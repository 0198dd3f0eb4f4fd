package logging

import (
	"bytes"
	"encoding/json"
	"log/slog"
	"strings"
	"testing"
)

func TestEachKeyOnce(t *testing.T) {
	var buf bytes.Buffer
	log := New(&buf, slog.LevelInfo, FormatJSON).With("component", "nats").With("component", "nats-server", "x", 1)
	log.Info("hello", "x", 2, "y", 3)
	line := buf.String()
	if n := strings.Count(line, `"component"`); n != 1 {
		t.Fatalf("component appears %d times: %s", n, line)
	}
	if n := strings.Count(line, `"x"`); n != 1 {
		t.Fatalf("x appears %d times: %s", n, line)
	}
	var m map[string]any
	if err := json.Unmarshal(buf.Bytes(), &m); err != nil {
		t.Fatal(err)
	}
	if m["component"] != "nats-server" || m["x"] != float64(2) || m["y"] != float64(3) {
		t.Fatalf("got %v", m)
	}
}

func TestLevelAndFormat(t *testing.T) {
	var buf bytes.Buffer
	lvl, err := ParseLevel("WARN")
	if err != nil {
		t.Fatal(err)
	}
	f, err := ParseFormat("text")
	if err != nil {
		t.Fatal(err)
	}
	log := New(&buf, lvl, f)
	log.Info("hidden")
	log.Warn("shown", "k", "v")
	if strings.Contains(buf.String(), "hidden") || !strings.Contains(buf.String(), "level=WARN msg=shown k=v") {
		t.Fatalf("got %q", buf.String())
	}
	if _, err := ParseLevel("loud"); err == nil {
		t.Fatal("ParseLevel accepted loud")
	}
	if _, err := ParseFormat("xml"); err == nil {
		t.Fatal("ParseFormat accepted xml")
	}
}

func TestGroupsKeepTheirKeys(t *testing.T) {
	var buf bytes.Buffer
	New(&buf, slog.LevelInfo, FormatJSON).With("a", 1).WithGroup("g").With("a", 2).Info("m", "a", 3)
	var m map[string]any
	if err := json.Unmarshal(buf.Bytes(), &m); err != nil {
		t.Fatal(err)
	}
	g, _ := m["g"].(map[string]any)
	if m["a"] != float64(1) || g == nil {
		t.Fatalf("got %s", buf.String())
	}
}
