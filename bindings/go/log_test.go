package experiences_test

import (
	"context"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	experiences "github.com/qubit-experiences/qubit-experiences/bindings/go"
)

// recordingHandler keeps every record it gets; it may be called from any
// thread at once.
type recordingHandler struct {
	mu      sync.Mutex
	records []slog.Record
}

func (h *recordingHandler) Enabled(context.Context, slog.Level) bool { return true }

func (h *recordingHandler) Handle(_ context.Context, record slog.Record) error {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.records = append(h.records, record.Clone())
	return nil
}

func (h *recordingHandler) WithAttrs([]slog.Attr) slog.Handler { return h }
func (h *recordingHandler) WithGroup(string) slog.Handler      { return h }

// fallbacks are the "serving default content" records seen so far.
func (h *recordingHandler) fallbacks() []slog.Record {
	h.mu.Lock()
	defer h.mu.Unlock()
	var found []slog.Record
	for _, record := range h.records {
		if strings.HasPrefix(record.Message, "serving default content: ") {
			found = append(found, record)
		}
	}
	return found
}

func (h *recordingHandler) levels() []slog.Level {
	h.mu.Lock()
	defer h.mu.Unlock()
	var levels []slog.Level
	for _, record := range h.records {
		levels = append(levels, record.Level)
	}
	return levels
}

func targetOf(record slog.Record) string {
	var target string
	record.Attrs(func(attr slog.Attr) bool {
		if attr.Key == "target" {
			target = attr.Value.String()
		}
		return true
	})
	return target
}

func failOpenForUnknownTrackingID(t *testing.T) {
	t.Helper()
	client, err := experiences.NewClient("no_such_property", experiences.WithBaseURL(baseURL),
		experiences.WithBackoff(time.Millisecond, 5*time.Millisecond))
	if err != nil {
		t.Error(err) // not Fatal: goroutines call this too
		return
	}
	defer func() { _ = client.Close() }()
	answer := client.GetExperiencesFailOpen(context.Background(), experiences.Query{})
	if answer.Source != "fallback" {
		t.Errorf("source %q, want fallback", answer.Source)
	}
}

func TestSetLoggerRoutesCoreRecordsToSlog(t *testing.T) {
	handler := &recordingHandler{}
	if err := experiences.SetLogger(slog.New(handler), slog.LevelWarn); err != nil {
		t.Fatal(err)
	}
	defer func() { _ = experiences.SetLogger(nil, slog.LevelInfo) }()

	failOpenForUnknownTrackingID(t)

	fallbacks := handler.fallbacks()
	if len(fallbacks) != 1 {
		t.Fatalf("got %d fallback records, want 1: %v", len(fallbacks), handler.levels())
	}
	record := fallbacks[0]
	if record.Level != slog.LevelWarn {
		t.Errorf("level %v, want WARN", record.Level)
	}
	if target := targetOf(record); target != "qubit_experiences::client" {
		t.Errorf("target %q", target)
	}
	if !strings.Contains(record.Message, "404") {
		t.Errorf("message %q does not mention the 404", record.Message)
	}
	for _, level := range handler.levels() {
		if level < slog.LevelWarn {
			t.Errorf("a record at %v passed the WARN filter", level)
		}
	}

	if err := experiences.SetLogger(nil, slog.LevelInfo); err != nil {
		t.Fatal(err)
	}
	failOpenForUnknownTrackingID(t)
	if got := len(handler.fallbacks()); got != 1 {
		t.Errorf("after removal: %d fallback records, want still 1", got)
	}
}

func TestSetLoggerIsSafeWhileGoroutinesLog(t *testing.T) {
	handler := &recordingHandler{}
	defer func() { _ = experiences.SetLogger(nil, slog.LevelInfo) }()

	var wg sync.WaitGroup
	for range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range 5 {
				failOpenForUnknownTrackingID(t)
			}
		}()
	}
	for i := range 20 {
		var logger *slog.Logger
		if i%2 == 0 {
			logger = slog.New(handler)
		}
		if err := experiences.SetLogger(logger, experiences.LevelTrace); err != nil {
			t.Fatal(err)
		}
		time.Sleep(time.Millisecond)
	}
	wg.Wait()
}
