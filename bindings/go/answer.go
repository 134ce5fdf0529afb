package experiences

/*
#include "qubit_experiences.h"
*/
import "C"

import "encoding/json"

// Experience is one experience the visitor is bucketed into.
type Experience struct {
	// ID is the experience id.
	ID uint64
	// VariationMasterID is the master id of the visitor's variation.
	VariationMasterID uint64
	// IsControl says whether that variation is the control.
	IsControl bool
	// CallbackURL is the exposure callback, opaque: Client.Shown uses it.
	CallbackURL string
	// Payload is the variation's JSON object exactly as the service sent
	// it (large integers, key order and unicode intact).
	Payload json.RawMessage
}

// Answer is what a fetch returned, copied into Go memory.
type Answer struct {
	// Experiences in the service's order.
	Experiences []Experience
	// ContextID is the visitor's id: the one asked for, or generated.
	ContextID string
	// ContextIDGenerated says the id was generated for this answer, so the
	// page response must set the _qubitTracker cookie.
	ContextIDGenerated bool
	// CookieDomains are the property's domains, for the cookie's Domain.
	CookieDomains []string
	// MissingExperienceIDs are, in tolerant filtering, the requested ids
	// that were not served.
	MissingExperienceIDs []uint64
	// Source is where the answer came from: "service", "cache",
	// "stale_cache" or "fallback".
	Source string
	// Err is, for a fail-open (or stale cached) answer, the error it stands
	// in for; nil otherwise.
	Err error
}

// Experience returns the experience with this id, if the visitor has it.
func (a *Answer) Experience(id uint64) (Experience, bool) {
	for _, experience := range a.Experiences {
		if experience.ID == id {
			return experience, true
		}
	}
	return Experience{}, false
}

// answerFrom copies a C answer into Go memory; the caller frees it.
func answerFrom(answer *C.qubit_answer) *Answer {
	count := int(C.qubit_answer_experience_count(answer))
	copied := &Answer{
		Experiences:        make([]Experience, 0, count),
		ContextID:          goString(C.qubit_answer_context_id(answer)),
		ContextIDGenerated: bool(C.qubit_answer_context_id_generated(answer)),
		Source:             goString(C.qubit_answer_source(answer)),
	}
	for i := range count {
		experience := C.qubit_answer_experience(answer, C.size_t(i))
		copied.Experiences = append(copied.Experiences, Experience{
			ID:                uint64(C.qubit_experience_id(experience)),
			VariationMasterID: uint64(C.qubit_experience_variation_master_id(experience)),
			IsControl:         bool(C.qubit_experience_is_control(experience)),
			CallbackURL:       goString(C.qubit_experience_callback_url(experience)),
			Payload:           json.RawMessage(goString(C.qubit_experience_payload_json(experience))),
		})
	}
	for i := range int(C.qubit_answer_cookie_domain_count(answer)) {
		copied.CookieDomains = append(copied.CookieDomains,
			goString(C.qubit_answer_cookie_domain(answer, C.size_t(i))))
	}
	for i := range int(C.qubit_answer_missing_experience_id_count(answer)) {
		copied.MissingExperienceIDs = append(copied.MissingExperienceIDs,
			uint64(C.qubit_answer_missing_experience_id(answer, C.size_t(i))))
	}
	if e := C.qubit_answer_error(answer); e != nil {
		copied.Err = errorFrom(e)
	}
	return copied
}
