package experiences

/*
#include "qubit_experiences.h"
*/
import "C"

import (
	"context"
	"encoding/json"
	"fmt"
	"runtime"
	"sync"
	"time"
)

// DefaultCloseTimeout is how long Close waits for queued callbacks.
const DefaultCloseTimeout = 5 * time.Second

// Client fetches experiences and reports exposures. Safe for concurrent use
// by any number of goroutines: build one per process (per tracking id) and
// share it. Close it when done; a finalizer closes a forgotten one.
type Client struct {
	// mu lets calls share the handle while Close waits for them to end.
	mu      sync.RWMutex
	handle  *C.qubit_client
	cleanup runtime.Cleanup
}

// NewClient builds a client for the property with this tracking id. No
// network. Fails with ErrInvalidArgument for an unusable setting.
func NewClient(trackingID string, opts ...Option) (*Client, error) {
	var handle *C.qubit_client
	err := withCStrings([]string{trackingID}, []string{"tracking id"}, func(c []*C.char) error {
		var options *C.qubit_client_options
		var e *C.qubit_error
		if err := check(C.qubit_client_options_new(c[0], &options, &e), e); err != nil {
			return err
		}
		defer C.qubit_client_options_free(options)

		binding := append([]Option{withBinding("go/" + runtime.Version())}, opts...)
		for _, option := range binding {
			if option == nil {
				continue
			}
			if err := option(&settings{handle: options}); err != nil {
				return err
			}
		}
		return check(C.qubit_client_new(options, &handle, &e), e)
	})
	if err != nil {
		return nil, err
	}

	client := &Client{handle: handle}
	client.cleanup = runtime.AddCleanup(client, closeInBackground, handle)
	return client, nil
}

// withBinding names this package and the Go runtime in the User-Agent.
func withBinding(binding string) Option {
	return stringOption(binding, "binding", func(o *C.qubit_client_options, s *C.char, e **C.qubit_error) C.qubit_status {
		return C.qubit_client_options_set_binding(o, s, e)
	})
}

// closeInBackground is the safety net for a client that was never closed.
// Cleanups all run on one goroutine of the runtime, so the close, which
// may wait DefaultCloseTimeout for queued callbacks, gets a goroutine of
// its own rather than holding up every other cleanup of the program.
func closeInBackground(handle *C.qubit_client) {
	go closeAndFree(handle)
}

// closeAndFree delivers the queued callbacks and releases the handle.
func closeAndFree(handle *C.qubit_client) {
	C.qubit_client_close(handle, C.uint64_t(DefaultCloseTimeout/time.Millisecond), nil)
	C.qubit_client_free(handle)
}

// use runs body with the live handle, or fails with ErrClosed.
func (c *Client) use(body func(*C.qubit_client) error) error {
	c.mu.RLock()
	defer c.mu.RUnlock()
	if c.handle == nil {
		return &Error{Code: CodeClosed, Message: "the client is closed"}
	}
	return body(c.handle)
}

// around checks ctx before a blocking call and after it: the core cannot
// interrupt a call, so a cancelled context is reported when it returns.
func around(ctx context.Context, call func() error) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	err := call()
	if ctxErr := ctx.Err(); err != nil && ctxErr != nil {
		return fmt.Errorf("%w: %w", ctxErr, err)
	}
	return err
}

// GetExperiences fetches the experiences for one visitor. Blocking:
// network, bounded by ctx's deadline when it has one, else the client's
// timeout.
func (c *Client) GetExperiences(ctx context.Context, q Query) (*Answer, error) {
	var answer *Answer
	err := around(ctx, func() error {
		return c.fetch(ctx, q, false, &answer)
	})
	return answer, err
}

// GetExperiencesFailOpen fetches like GetExperiences but never fails: on
// any error the answer is empty, with Source "fallback", Err saying why and,
// for a new visitor, a generated context id, so the page still renders.
func (c *Client) GetExperiencesFailOpen(ctx context.Context, q Query) *Answer {
	var answer *Answer
	err := around(ctx, func() error {
		return c.fetch(ctx, q, true, &answer)
	})
	if answer == nil {
		// Closed, cancelled or an argument C cannot take: no call was made.
		answer = &Answer{Source: "fallback", Err: err, ContextID: q.ContextID}
		if q.ContextID == "" {
			answer.ContextID, _ = GenerateContextID()
			answer.ContextIDGenerated = answer.ContextID != ""
		}
	}
	return answer
}

func (c *Client) fetch(ctx context.Context, q Query, failOpen bool, answer **Answer) error {
	return c.use(func(handle *C.qubit_client) error {
		query, err := q.cQuery(ctx)
		if err != nil {
			return err
		}
		defer C.qubit_query_free(query)

		var result *C.qubit_answer
		var e *C.qubit_error
		var status C.qubit_status
		if failOpen {
			status = C.qubit_client_get_experiences_fail_open(handle, query, &result, &e)
		} else {
			status = C.qubit_client_get_experiences(handle, query, &result, &e)
		}
		if err := check(status, e); err != nil {
			return err
		}
		defer C.qubit_answer_free(result)
		*answer = answerFrom(result)
		return nil
	})
}

// Shown reports that experience was shown to the visitor contextID: POSTs
// its callback and waits for the answer. Blocking: network, bounded by
// ctx's deadline when it has one and by the client's timeout otherwise.
func (c *Client) Shown(ctx context.Context, experience Experience, contextID string) error {
	return around(ctx, func() error {
		return c.use(func(handle *C.qubit_client) error {
			return withCStrings([]string{experience.CallbackURL, contextID},
				[]string{"callback URL", "context id"}, func(s []*C.char) error {
					var e *C.qubit_error
					if deadline, ok := ctx.Deadline(); ok {
						timeout := milliseconds(max(time.Until(deadline), time.Millisecond))
						status := C.qubit_client_send_callback_within(handle, s[0], s[1], timeout, &e)
						return check(status, e)
					}
					return check(C.qubit_client_send_callback(handle, s[0], s[1], &e), e)
				})
		})
	})
}

// ShownLater queues the exposure callback for background delivery and
// returns at once; false means de-duplication skipped it. Fails with
// ErrCallbackRefused, ErrQueueFull or ErrClosed.
func (c *Client) ShownLater(experience Experience, contextID string) (bool, error) {
	var queued C.bool
	err := c.use(func(handle *C.qubit_client) error {
		return withCStrings([]string{experience.CallbackURL, contextID},
			[]string{"callback URL", "context id"}, func(s []*C.char) error {
				var e *C.qubit_error
				status := C.qubit_client_send_callback_later(handle, s[0], s[1],
					C.uint64_t(experience.ID), C.uint64_t(experience.VariationMasterID), &queued, &e)
				return check(status, e)
			})
	})
	return bool(queued), err
}

// Flush waits until every callback queued so far is delivered or failed
// for good, at most until ctx's deadline (DefaultCloseTimeout without one).
func (c *Client) Flush(ctx context.Context) error {
	return around(ctx, func() error {
		return c.use(func(handle *C.qubit_client) error {
			var e *C.qubit_error
			return check(C.qubit_client_flush(handle, milliseconds(timeoutOf(ctx)), &e), e)
		})
	})
}

func timeoutOf(ctx context.Context) time.Duration {
	if deadline, ok := ctx.Deadline(); ok {
		return max(time.Until(deadline), time.Millisecond)
	}
	return DefaultCloseTimeout
}

// Close delivers the queued callbacks (waiting at most
// DefaultCloseTimeout) and releases the client; later calls fail with
// ErrClosed. It waits for calls in progress, and calling it again is
// harmless.
func (c *Client) Close() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.handle == nil {
		return nil
	}
	c.cleanup.Stop()

	var e *C.qubit_error
	err := check(C.qubit_client_close(c.handle, milliseconds(DefaultCloseTimeout), &e), e)
	C.qubit_client_free(c.handle)
	c.handle = nil
	return err
}

// TrackingID is the tracking id the client was built for ("" once closed).
func (c *Client) TrackingID() string {
	var id string
	_ = c.use(func(handle *C.qubit_client) error {
		id = goString(C.qubit_client_tracking_id(handle))
		return nil
	})
	return id
}

// Stats is a snapshot of a client's counters, totals since it was built.
type Stats struct {
	Fetches               uint64            `json:"fetches"`
	Requests              uint64            `json:"requests"`
	Retries               uint64            `json:"retries"`
	Errors                map[string]uint64 `json:"errors"`
	CacheHits             uint64            `json:"cache_hits"`
	CacheMisses           uint64            `json:"cache_misses"`
	CacheEvictions        uint64            `json:"cache_evictions"`
	CacheStaleServed      uint64            `json:"cache_stale_served"`
	CallbacksQueued       uint64            `json:"callbacks_queued"`
	CallbacksSent         uint64            `json:"callbacks_sent"`
	CallbacksFailed       uint64            `json:"callbacks_failed"`
	CallbacksRetried      uint64            `json:"callbacks_retried"`
	CallbacksDropped      uint64            `json:"callbacks_dropped"`
	CallbacksDeduplicated uint64            `json:"callbacks_deduplicated"`
	LatencyP50Micros      uint64            `json:"latency_p50_us"`
	LatencyP90Micros      uint64            `json:"latency_p90_us"`
	LatencyP99Micros      uint64            `json:"latency_p99_us"`
}

// Stats reads the client's counters. No network.
func (c *Client) Stats() (Stats, error) {
	var stats Stats
	err := c.use(func(handle *C.qubit_client) error {
		var text *C.char
		var e *C.qubit_error
		if err := check(C.qubit_client_stats_json(handle, &text, &e), e); err != nil {
			return err
		}
		copied, _ := takeString(text)
		return json.Unmarshal([]byte(copied), &stats)
	})
	return stats, err
}
