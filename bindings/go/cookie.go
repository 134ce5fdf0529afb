package experiences

/*
#include <stdlib.h>
#include "qubit_experiences.h"
*/
import "C"

import "unsafe"

// CookieName is the cookie that holds the visitor's context id.
const CookieName = "_qubitTracker"

// ContextIDFromCookieHeader reads the context id from a Cookie request
// header; false when it holds none. A header holding a NUL byte, or whose
// id decodes to one (%00), holds no usable id: that is ("", false) too, so
// the visitor is treated as new rather than given a truncated id.
func ContextIDFromCookieHeader(header string) (string, bool) {
	var id string
	var found bool
	_ = withCStrings([]string{header}, []string{"cookie header"}, func(s []*C.char) error {
		var out *C.char
		if C.qubit_cookie_context_id(s[0], &out, nil) == C.QUBIT_OK {
			id, found = takeString(out)
		}
		return nil
	})
	return id, found
}

// CookieDomainForHost chooses the cookie's Domain for a request host from
// the answer's cookie domains; false means a host-only cookie, as it does
// when the host or a domain holds a NUL byte.
func CookieDomainForHost(host string, cookieDomains []string) (string, bool) {
	var domain string
	var found bool
	_ = withCStrings(append([]string{host}, cookieDomains...), cookieDomainNames(len(cookieDomains)),
		func(s []*C.char) error {
			// The array of pointers lives in C memory, as cgo requires.
			count := len(s) - 1
			size := C.size_t(max(count, 1)) * C.size_t(unsafe.Sizeof((*C.char)(nil)))
			array := (*[1 << 28]*C.char)(C.malloc(size))[:max(count, 1):max(count, 1)]
			defer C.free(unsafe.Pointer(&array[0]))
			copy(array, s[1:])

			var out *C.char
			if C.qubit_cookie_domain_for_host(s[0], &array[0], C.size_t(count), &out, nil) == C.QUBIT_OK {
				domain, found = takeString(out)
			}
			return nil
		})
	return domain, found
}

func cookieDomainNames(count int) []string {
	names := []string{"host"}
	for range count {
		names = append(names, "cookie domain")
	}
	return names
}

// SetCookieHeader builds the Set-Cookie header value storing contextID for
// a year, with Domain when domain is not empty and Secure when asked.
func SetCookieHeader(contextID, domain string, secure bool) (string, error) {
	var header string
	err := withCStrings([]string{contextID, domain}, []string{"context id", "domain"},
		func(s []*C.char) error {
			cDomain := s[1]
			if domain == "" {
				cDomain = nil
			}
			var out *C.char
			var e *C.qubit_error
			if err := check(C.qubit_cookie_set_header(s[0], cDomain, C.bool(secure), &out, &e), e); err != nil {
				return err
			}
			header, _ = takeString(out)
			return nil
		})
	return header, err
}

// GenerateContextID makes a new visitor id from the system's random source.
func GenerateContextID() (string, error) {
	var out *C.char
	var e *C.qubit_error
	if err := check(C.qubit_context_id_generate(&out, &e), e); err != nil {
		return "", err
	}
	id, _ := takeString(out)
	return id, nil
}

// DecodeCallbackURL decodes the bucketing record in a callback URL, as
// JSON text, for debugging tools.
func DecodeCallbackURL(callbackURL string) (string, error) {
	var record string
	err := withCStrings([]string{callbackURL}, []string{"callback URL"}, func(s []*C.char) error {
		var out *C.char
		var e *C.qubit_error
		if err := check(C.qubit_callback_data_decode_url(s[0], &out, &e), e); err != nil {
			return err
		}
		record, _ = takeString(out)
		return nil
	})
	return record, err
}

// Version is the SDK's version.
func Version() string {
	return C.GoString(C.qubit_version())
}
