package experiences

/*
#include "qubit_experiences.h"
*/
import "C"

import "time"

// Option changes one client setting; every setting has a production
// default (see the Rust core's ClientBuilder). NewClient ignores a nil
// Option.
type Option func(*settings) error

// settings are the C options a client is built from.
type settings struct {
	handle *C.qubit_client_options
}

// setting is an Option made of one C setter call.
func setting(set func(*C.qubit_client_options, **C.qubit_error) C.qubit_status) Option {
	return func(options *settings) error {
		var e *C.qubit_error
		return check(set(options.handle, &e), e)
	}
}

// stringOption is an Option setting one string.
func stringOption(value, name string,
	set func(*C.qubit_client_options, *C.char, **C.qubit_error) C.qubit_status) Option {
	return func(options *settings) error {
		return withCStrings([]string{value}, []string{name}, func(c []*C.char) error {
			var e *C.qubit_error
			return check(set(options.handle, c[0], &e), e)
		})
	}
}

// WithBaseURL sets the service's base URL (default https://sse.qubit.com).
func WithBaseURL(url string) Option {
	return stringOption(url, "base URL", func(o *C.qubit_client_options, s *C.char, e **C.qubit_error) C.qubit_status {
		return C.qubit_client_options_set_base_url(o, s, e)
	})
}

// WithTimeout bounds every fetch and blocking callback, retries included
// (default 1 s). A call whose context has a deadline is bounded by that
// deadline instead, whether it is sooner or later than this timeout.
func WithTimeout(timeout time.Duration) Option {
	return setting(func(o *C.qubit_client_options, e **C.qubit_error) C.qubit_status {
		return C.qubit_client_options_set_timeout_ms(o, milliseconds(timeout), e)
	})
}

// WithConnectTimeout bounds opening one connection (default 500 ms).
func WithConnectTimeout(timeout time.Duration) Option {
	return setting(func(o *C.qubit_client_options, e **C.qubit_error) C.qubit_status {
		return C.qubit_client_options_set_connect_timeout_ms(o, milliseconds(timeout), e)
	})
}

// WithRetries sets how often a connection error, 5xx or 429 is retried
// (default 2).
func WithRetries(retries uint32) Option {
	return setting(func(o *C.qubit_client_options, e **C.qubit_error) C.qubit_status {
		return C.qubit_client_options_set_retries(o, C.uint32_t(retries), e)
	})
}

// WithBackoff sets the first and the largest step between retries
// (default 25 ms and 250 ms).
func WithBackoff(first, max time.Duration) Option {
	return setting(func(o *C.qubit_client_options, e **C.qubit_error) C.qubit_status {
		return C.qubit_client_options_set_backoff_ms(o, milliseconds(first), milliseconds(max), e)
	})
}

// WithMaxResponseBytes caps the answer body (default 4 MiB).
func WithMaxResponseBytes(bytes uint64) Option {
	return setting(func(o *C.qubit_client_options, e **C.qubit_error) C.qubit_status {
		return C.qubit_client_options_set_max_response_bytes(o, C.uint64_t(bytes), e)
	})
}

// CacheOptions configure the answer cache.
type CacheOptions struct {
	// TTL is how long an answer is served from the cache.
	TTL time.Duration
	// MaxEntries is the most answers kept.
	MaxEntries int
	// ServeStaleFor is how long past its TTL an answer may still be served
	// when the service fails; 0 never serves stale answers.
	ServeStaleFor time.Duration
}

// WithCache turns the answer cache on (off by default).
func WithCache(cache CacheOptions) Option {
	return setting(func(o *C.qubit_client_options, e **C.qubit_error) C.qubit_status {
		return C.qubit_client_options_set_cache(o, milliseconds(cache.TTL), C.size_t(max(cache.MaxEntries, 0)), milliseconds(cache.ServeStaleFor), e)
	})
}

// WithCallbackHost allows callbacks to this host as well as the API's own.
func WithCallbackHost(host string) Option {
	return stringOption(host, "host", func(o *C.qubit_client_options, s *C.char, e **C.qubit_error) C.qubit_status {
		return C.qubit_client_options_allow_callback_host(o, s, e)
	})
}

// WithCallbackTimeout bounds one queued callback (default 5 s).
func WithCallbackTimeout(timeout time.Duration) Option {
	return setting(func(o *C.qubit_client_options, e **C.qubit_error) C.qubit_status {
		return C.qubit_client_options_set_callback_timeout_ms(o, milliseconds(timeout), e)
	})
}

// WithQueueCapacity sets how many callbacks may wait (default 10,000).
func WithQueueCapacity(capacity int) Option {
	return setting(func(o *C.qubit_client_options, e **C.qubit_error) C.qubit_status {
		return C.qubit_client_options_set_queue_capacity(o, C.size_t(max(capacity, 0)), e)
	})
}

// WithCallbackWorkers sets how many threads send queued callbacks (default 2).
func WithCallbackWorkers(workers int) Option {
	return setting(func(o *C.qubit_client_options, e **C.qubit_error) C.qubit_status {
		return C.qubit_client_options_set_callback_workers(o, C.size_t(max(workers, 0)), e)
	})
}

// WithCallbackDeduplication sends one queued callback per visitor,
// experience and variation within window, remembering at most maxEntries.
func WithCallbackDeduplication(window time.Duration, maxEntries int) Option {
	return setting(func(o *C.qubit_client_options, e **C.qubit_error) C.qubit_status {
		return C.qubit_client_options_set_deduplicate_callbacks(o, milliseconds(window), C.size_t(max(maxEntries, 0)), e)
	})
}

// WithProxy sends every request through this proxy URL.
func WithProxy(url string) Option {
	return stringOption(url, "proxy URL", func(o *C.qubit_client_options, s *C.char, e **C.qubit_error) C.qubit_status {
		return C.qubit_client_options_set_proxy(o, s, e)
	})
}

// WithExtraCAFile also trusts the certificates of this PEM file.
func WithExtraCAFile(path string) Option {
	return stringOption(path, "path", func(o *C.qubit_client_options, s *C.char, e **C.qubit_error) C.qubit_status {
		return C.qubit_client_options_set_extra_ca_file(o, s, e)
	})
}

// WithMaxIdleConnections sets how many idle connections are kept (default 64).
func WithMaxIdleConnections(connections int) Option {
	return setting(func(o *C.qubit_client_options, e **C.qubit_error) C.qubit_status {
		return C.qubit_client_options_set_max_idle_connections(o, C.size_t(max(connections, 0)), e)
	})
}
