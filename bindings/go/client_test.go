package experiences_test

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"runtime"
	"sync"
	"testing"
	"time"

	experiences "github.com/qubit-experiences/qubit-experiences/bindings/go"
)

func newClient(t *testing.T, opts ...experiences.Option) *experiences.Client {
	t.Helper()
	opts = append([]experiences.Option{experiences.WithBaseURL(baseURL),
		experiences.WithBackoff(time.Millisecond, 5*time.Millisecond)}, opts...)
	client, err := experiences.NewClient("retail_shop", opts...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = client.Close() })
	return client
}

func TestErrorsMatchSentinelsAndCarryCodeAndStatus(t *testing.T) {
	reset(t, baseURL)
	setFaults(t, baseURL, `[{"kind":"status","status":503,"body":"down"}]`)
	defer reset(t, baseURL)
	client := newClient(t, experiences.WithRetries(0))

	_, err := client.GetExperiences(context.Background(), experiences.Query{ContextID: "visitor-1"})

	var typed *experiences.Error
	if !errors.Is(err, experiences.ErrHTTPStatus) || errors.Is(err, experiences.ErrNotFound) {
		t.Fatalf("errors.Is: %v", err)
	}
	if !errors.As(err, &typed) || typed.Code != experiences.CodeHTTPStatus || typed.Status != 503 || !typed.Retryable {
		t.Fatalf("errors.As: %#v", typed)
	}
	if typed.Error() != "experiences: the service answered HTTP 503: down" || typed.BodyExcerpt != "down" {
		t.Errorf("message %q, body excerpt %q", typed.Error(), typed.BodyExcerpt)
	}

	setFaults(t, baseURL, `[{"kind":"status","status":404}]`)
	_, err = client.GetExperiences(context.Background(), experiences.Query{ContextID: "visitor-1"})
	if !errors.As(err, &typed) || typed.Code != experiences.CodeNotFound || typed.BodyExcerpt != "" {
		t.Errorf("404: %#v", typed)
	}
}

func TestNilOptionsAreIgnored(t *testing.T) {
	client, err := experiences.NewClient("retail_shop", nil, experiences.WithBaseURL(baseURL), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer client.Close()
	if _, err := client.GetExperiences(context.Background(), experiences.Query{ContextID: "visitor-1"}); err != nil {
		t.Error(err)
	}
}

// A cookie id holding a NUL byte is no id: never a truncated one, which
// would be another visitor's.
func TestCookieIDWithANulIsNoID(t *testing.T) {
	for _, header := range []string{"_qubitTracker=a%00b", "_qubitTracker=a\x00b", "x=\x00; _qubitTracker=a"} {
		if id, found := experiences.ContextIDFromCookieHeader(header); id != "" || found {
			t.Errorf("%q gives (%q, %v)", header, id, found)
		}
	}
	if id, found := experiences.ContextIDFromCookieHeader("_qubitTracker=a%20b"); id != "a b" || !found {
		t.Errorf("a percent-encoded id gives (%q, %v)", id, found)
	}
}

// An answer whose context id or cookie domain holds a NUL byte cannot
// cross C whole: it is a decode error, and the fail-open call answers the
// fallback.
func TestAnswerStringsWithANulAreDecodeErrors(t *testing.T) {
	for _, c := range []struct{ body, contextID string }{
		{`{"contextId":"a\u0000b","experiencePayloads":[]}`, ""},
		{`{"cookieDomains":["shop\u0000.example"],"experiencePayloads":[]}`, "visitor-1"},
	} {
		body := c.body
		server := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
			w.Header().Set("Content-Type", "application/json")
			_, _ = w.Write([]byte(body))
		}))
		client, err := experiences.NewClient("retail_shop", experiences.WithBaseURL(server.URL))
		if err != nil {
			t.Fatal(err)
		}
		query := experiences.Query{ContextID: c.contextID}

		answer, err := client.GetExperiences(context.Background(), query)
		fallback := client.GetExperiencesFailOpen(context.Background(), query)

		if answer != nil || !errors.Is(err, experiences.ErrDecode) {
			t.Errorf("%s: %+v, %v", body, answer, err)
		}
		if fallback.Source != "fallback" || !errors.Is(fallback.Err, experiences.ErrDecode) || fallback.ContextID == "" {
			t.Errorf("%s: fail-open %+v", body, fallback)
		}
		_ = client.Close()
		server.Close()
	}
}

func TestCodesAreTheCoreNumbersAndNames(t *testing.T) {
	names := []string{"INVALID_ARGUMENT", "NOT_FOUND", "HTTP_STATUS", "TIMEOUT", "CONNECTION",
		"DECODE", "RESPONSE_TOO_LARGE", "CALLBACK_REFUSED", "CLOSED", "QUEUE_FULL", "INTERNAL"}
	for i, name := range names {
		if got := experiences.Code(i + 1).String(); got != name {
			t.Errorf("code %d is %s, want %s", i+1, got, name)
		}
	}
	if experiences.CodeInternal != 11 || experiences.CodeQueueFull != 10 {
		t.Error("codes renumbered")
	}
}

func TestInvalidSettingsAreInvalidArguments(t *testing.T) {
	cases := map[string][]experiences.Option{
		"empty base URL": {experiences.WithBaseURL("")},
		"zero timeout":   {experiences.WithTimeout(0)},
		"NUL in proxy":   {experiences.WithProxy("http://a\x00b")},
	}
	for name, opts := range cases {
		if _, err := experiences.NewClient("retail_shop", opts...); !errors.Is(err, experiences.ErrInvalidArgument) {
			t.Errorf("%s: %v", name, err)
		}
	}
	if _, err := experiences.NewClient("bad\xffid"); !errors.Is(err, experiences.ErrInvalidArgument) {
		t.Errorf("invalid UTF-8 tracking id: %v", err)
	}
}

func TestContextDeadlineBecomesTheCallTimeout(t *testing.T) {
	reset(t, baseURL)
	setFaults(t, baseURL, `[{"kind":"latency","ms":400}]`)
	defer reset(t, baseURL)
	client := newClient(t, experiences.WithTimeout(5*time.Second))
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()

	started := time.Now()
	_, err := client.GetExperiences(ctx, experiences.Query{ContextID: "visitor-1"})

	if !errors.Is(err, experiences.ErrTimeout) || !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("got %v", err)
	}
	if elapsed := time.Since(started); elapsed > 300*time.Millisecond {
		t.Errorf("took %v, past the context's deadline", elapsed)
	}
}

func TestContextDeadlineBoundsShown(t *testing.T) {
	reset(t, baseURL)
	defer reset(t, baseURL)
	client := newClient(t, experiences.WithTimeout(5*time.Second))
	answer, err := client.GetExperiences(context.Background(), experiences.Query{ContextID: "visitor-1"})
	if err != nil {
		t.Fatal(err)
	}
	setFaults(t, baseURL, `[{"kind":"latency","ms":2000,"on":"callback"}]`)
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()

	started := time.Now()
	err = client.Shown(ctx, answer.Experiences[0], answer.ContextID)

	if !errors.Is(err, experiences.ErrTimeout) {
		t.Fatalf("got %v", err)
	}
	if elapsed := time.Since(started); elapsed > 600*time.Millisecond {
		t.Errorf("took %v, past the context's deadline", elapsed)
	}
}

func TestCancelledContextMakesNoCall(t *testing.T) {
	client := newClient(t)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()

	_, err := client.GetExperiences(ctx, experiences.Query{ContextID: "visitor-1"})
	answer := client.GetExperiencesFailOpen(ctx, experiences.Query{})

	if !errors.Is(err, context.Canceled) {
		t.Errorf("got %v", err)
	}
	if answer.Source != "fallback" || !errors.Is(answer.Err, context.Canceled) || !answer.ContextIDGenerated {
		t.Errorf("fail-open answer %+v", answer)
	}
}

func TestFailOpenAnswersEmptyWithTheError(t *testing.T) {
	reset(t, baseURL)
	setFaults(t, baseURL, `[{"kind":"malformed"}]`)
	defer reset(t, baseURL)
	client := newClient(t)

	answer := client.GetExperiencesFailOpen(context.Background(), experiences.Query{ContextID: "visitor-1"})

	if answer.Source != "fallback" || len(answer.Experiences) != 0 || answer.ContextID != "visitor-1" ||
		!errors.Is(answer.Err, experiences.ErrDecode) {
		t.Errorf("answer %+v", answer)
	}
}

func TestCloseIsIdempotentAndLaterCallsFailClosed(t *testing.T) {
	client := newClient(t)
	answer, err := client.GetExperiences(context.Background(), experiences.Query{ContextID: "visitor-1"})
	if err != nil {
		t.Fatal(err)
	}

	first, second := client.Close(), client.Close()
	_, fetchErr := client.GetExperiences(context.Background(), experiences.Query{ContextID: "visitor-1"})
	_, queueErr := client.ShownLater(answer.Experiences[0], answer.ContextID)

	if first != nil || second != nil {
		t.Errorf("close: %v, %v", first, second)
	}
	if !errors.Is(fetchErr, experiences.ErrClosed) || !errors.Is(queueErr, experiences.ErrClosed) {
		t.Errorf("after close: %v, %v", fetchErr, queueErr)
	}
	if client.TrackingID() != "" {
		t.Error("a closed client still names its tracking id")
	}
}

func TestShownAndShownLaterDeliverCallbacks(t *testing.T) {
	reset(t, baseURL)
	client := newClient(t, experiences.WithCallbackDeduplication(time.Minute, 100))
	answer, err := client.GetExperiences(context.Background(), experiences.Query{ContextID: "visitor-1"})
	if err != nil {
		t.Fatal(err)
	}

	shownErr := client.Shown(context.Background(), answer.Experiences[0], answer.ContextID)
	first, _ := client.ShownLater(answer.Experiences[1], answer.ContextID)
	again, _ := client.ShownLater(answer.Experiences[1], answer.ContextID)
	flushErr := client.Flush(context.Background())

	var callbacks []map[string]any
	control(t, baseURL, "GET", "/_emulator/callbacks", "", &callbacks)
	if shownErr != nil || flushErr != nil || !first || again || len(callbacks) != 2 {
		t.Errorf("shown %v, flush %v, queued %v then %v, %d callbacks", shownErr, flushErr,
			first, again, len(callbacks))
	}
	refused := client.Shown(context.Background(),
		experiences.Experience{CallbackURL: "https://elsewhere.example/v1/callback"}, "visitor-1")
	if !errors.Is(refused, experiences.ErrCallbackRefused) {
		t.Errorf("foreign callback: %v", refused)
	}
}

func TestHelpers(t *testing.T) {
	id, err := experiences.GenerateContextID()
	if err != nil || !generatedID.MatchString(id) {
		t.Errorf("generated %q, %v", id, err)
	}
	if _, err := experiences.DecodeCallbackURL("https://sse.qubit.com/v1/callback"); !errors.Is(err, experiences.ErrInvalidArgument) {
		t.Errorf("decode without data: %v", err)
	}
	if experiences.Version() == "" || experiences.CookieName != "_qubitTracker" {
		t.Error("version or cookie name")
	}
}

// Many goroutines share one client: every answer is the visitor's own,
// and the counters add up.
func TestManyGoroutinesShareOneClient(t *testing.T) {
	reset(t, baseURL)
	client := newClient(t)
	const goroutines, fetches = 32, 20

	var wg sync.WaitGroup
	failures := make(chan error, goroutines*fetches)
	for g := range goroutines {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range fetches {
				contextID := fmt.Sprintf("goroutine-%d-visitor-%d", g, i)
				answer, err := client.GetExperiences(context.Background(), experiences.Query{ContextID: contextID})
				if err != nil || answer.ContextID != contextID {
					failures <- fmt.Errorf("%s: %v", contextID, err)
					continue
				}
				for _, experience := range answer.Experiences {
					if _, err := client.ShownLater(experience, contextID); err != nil {
						failures <- err
					}
				}
				_, _ = client.Stats()
			}
		}()
	}
	wg.Wait()
	close(failures)
	for err := range failures {
		t.Error(err)
	}

	if err := client.Flush(context.Background()); err != nil {
		t.Fatal(err)
	}
	stats, err := client.Stats()
	if err != nil || stats.Fetches != goroutines*fetches || stats.CallbacksSent != stats.CallbacksQueued {
		t.Errorf("stats %+v, %v", stats, err)
	}
}

// Close while goroutines are mid-call: each call either completes or
// fails with ErrClosed; nothing crashes or races.
func TestCloseDuringConcurrentCalls(t *testing.T) {
	client := newClient(t)
	var wg sync.WaitGroup
	for range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range 20 {
				_, err := client.GetExperiences(context.Background(), experiences.Query{ContextID: "visitor-1"})
				if err != nil && !errors.Is(err, experiences.ErrClosed) {
					t.Error(err)
				}
			}
		}()
	}
	time.Sleep(5 * time.Millisecond)
	if err := client.Close(); err != nil {
		t.Error(err)
	}
	wg.Wait()
}

// A client that is never closed is closed and freed by its finalizer once
// unreachable; this exercises that path under the race detector.
func TestForgottenClientIsReleased(t *testing.T) {
	func() {
		client, err := experiences.NewClient("retail_shop", experiences.WithBaseURL(baseURL))
		if err != nil {
			t.Fatal(err)
		}
		if _, err := client.GetExperiences(context.Background(), experiences.Query{ContextID: "visitor-1"}); err != nil {
			t.Fatal(err)
		}
	}()
	for range 3 {
		runtime.GC()
		time.Sleep(10 * time.Millisecond)
	}
}

// A forgotten client whose callback is stuck is closed on a goroutine of
// its own: the runtime's single cleanup goroutine is not held up for the
// close's wait, so the program's other cleanups still run promptly.
func TestForgottenClientDoesNotHoldUpOtherCleanups(t *testing.T) {
	stuck := hangingServer(t)
	func() {
		client, err := experiences.NewClient("retail_shop", experiences.WithBaseURL(stuck),
			experiences.WithCallbackTimeout(10*time.Second))
		if err != nil {
			t.Fatal(err)
		}
		callback := experiences.Experience{CallbackURL: stuck + "/v1/callback?data=x", ID: 1, VariationMasterID: 1}
		if _, err := client.ShownLater(callback, "visitor-1"); err != nil {
			t.Fatal(err)
		}
	}()
	// The client's cleanup starts its close, which waits for the callback.
	runtime.GC()
	time.Sleep(200 * time.Millisecond)

	ran := make(chan struct{})
	func() {
		other := &struct{ _ [64]byte }{}
		runtime.AddCleanup(other, func(ran chan struct{}) { close(ran) }, ran)
	}()
	deadline := time.After(2 * time.Second)
	for waiting := true; waiting; {
		runtime.GC()
		select {
		case <-ran:
			waiting = false
		case <-deadline:
			t.Fatal("another cleanup waited for the forgotten client's close")
		case <-time.After(20 * time.Millisecond):
		}
	}
}

// hangingServer accepts connections on 127.0.0.1 and never answers; it
// stops at the end of the test.
func hangingServer(t *testing.T) string {
	t.Helper()
	listener, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	var held []net.Conn
	go func() {
		for {
			conn, err := listener.Accept()
			if err != nil {
				return
			}
			mu.Lock()
			held = append(held, conn)
			mu.Unlock()
		}
	}()
	t.Cleanup(func() {
		_ = listener.Close()
		mu.Lock()
		defer mu.Unlock()
		for _, conn := range held {
			_ = conn.Close()
		}
	})
	return "http://" + listener.Addr().String()
}

// One fetch through Go, cgo, the C ABI and the core, against the local
// emulator, from parallel goroutines.
func BenchmarkGetExperiences(b *testing.B) {
	client, err := experiences.NewClient("retail_shop", experiences.WithBaseURL(baseURL))
	if err != nil {
		b.Fatal(err)
	}
	defer client.Close()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if _, err := client.GetExperiences(context.Background(), experiences.Query{ContextID: "visitor-1"}); err != nil {
				b.Error(err)
			}
		}
	})
}

func TestCacheAnswersRepeatedFetches(t *testing.T) {
	client := newClient(t, experiences.WithCache(experiences.CacheOptions{TTL: time.Minute, MaxEntries: 10}),
		experiences.WithConnectTimeout(300*time.Millisecond), experiences.WithCallbackTimeout(time.Second),
		experiences.WithQueueCapacity(10), experiences.WithCallbackWorkers(1),
		experiences.WithMaxIdleConnections(4), experiences.WithMaxResponseBytes(1<<20),
		experiences.WithCallbackHost("cdn.shop.example"))
	query := experiences.Query{ContextID: "visitor-1"}

	first, err1 := client.GetExperiences(context.Background(), query)
	second, err2 := client.GetExperiences(context.Background(), query)

	if err1 != nil || err2 != nil || first.Source != "service" || second.Source != "cache" {
		t.Fatalf("sources %v, %v (%v, %v)", first, second, err1, err2)
	}
	if stats, _ := client.Stats(); stats.CacheHits != 1 {
		t.Errorf("cache hits %d", stats.CacheHits)
	}
}
