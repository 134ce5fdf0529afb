package experiences

/*
#include <stdlib.h>
#include "qubit_experiences.h"
*/
import "C"

import (
	"context"
	"time"
	"unsafe"
)

// Filter says how a query's experience ids are applied.
type Filter uint32

const (
	// FilterTolerant fetches every experience and keeps the requested
	// ones; ids that were not served are listed in
	// Answer.MissingExperienceIDs. The default.
	FilterTolerant Filter = C.QUBIT_FILTER_TOLERANT
	// FilterStrict sends the ids to the service: an unknown or archived id
	// fails the whole call with ErrNotFound.
	FilterStrict Filter = C.QUBIT_FILTER_STRICT
)

// Query is what one fetch asks for. The zero value asks for every
// experience of a new visitor.
type Query struct {
	// ContextID is the visitor's id, usually the _qubitTracker cookie;
	// empty asks the service to generate one.
	ContextID string
	// ExperienceIDs restricts the answer to these experiences; empty is all.
	ExperienceIDs []uint64
	// Filter says how ExperienceIDs is applied.
	Filter Filter
	// Preview serves each experience's latest unpublished iteration.
	Preview bool
	// Variation forces the variation with this master id; 0 forces none.
	Variation uint64
	// IgnoreSegments serves experiences whatever their targeting says.
	IgnoreSegments bool
}

// cQuery builds the C query for q, with ctx's deadline as its timeout. The
// caller frees it with C.qubit_query_free.
func (q Query) cQuery(ctx context.Context) (*C.qubit_query, error) {
	query := C.qubit_query_new()
	if query == nil {
		return nil, &Error{Code: CodeInternal, Message: "internal error: out of memory"}
	}
	err := q.fill(ctx, query)
	if err != nil {
		C.qubit_query_free(query)
		return nil, err
	}
	return query, nil
}

func (q Query) fill(ctx context.Context, query *C.qubit_query) error {
	var e *C.qubit_error
	if q.ContextID != "" {
		err := withCStrings([]string{q.ContextID}, []string{"context id"}, func(c []*C.char) error {
			return check(C.qubit_query_set_context_id(query, c[0], &e), e)
		})
		if err != nil {
			return err
		}
	}
	if len(q.ExperienceIDs) > 0 {
		// The ids are copied into C memory: cgo forbids keeping Go memory.
		size := C.size_t(len(q.ExperienceIDs)) * C.size_t(unsafe.Sizeof(C.uint64_t(0)))
		ids := (*[1 << 28]C.uint64_t)(C.malloc(size))[:len(q.ExperienceIDs):len(q.ExperienceIDs)]
		for i, id := range q.ExperienceIDs {
			ids[i] = C.uint64_t(id)
		}
		status := C.qubit_query_set_experience_ids(query, &ids[0], C.size_t(len(ids)), &e)
		C.free(unsafe.Pointer(&ids[0]))
		if err := check(status, e); err != nil {
			return err
		}
	}
	if err := check(C.qubit_query_set_filter(query, C.uint32_t(q.Filter), &e), e); err != nil {
		return err
	}
	C.qubit_query_set_preview(query, C.bool(q.Preview), nil)
	C.qubit_query_set_ignore_segments(query, C.bool(q.IgnoreSegments), nil)
	if q.Variation != 0 {
		C.qubit_query_set_variation(query, C.uint64_t(q.Variation), nil)
	}
	if deadline, ok := ctx.Deadline(); ok {
		// The context's deadline becomes this call's timeout.
		remaining := max(time.Until(deadline), time.Millisecond)
		C.qubit_query_set_timeout_ms(query, milliseconds(remaining), nil)
	}
	return nil
}
