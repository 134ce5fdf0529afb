package experiences_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	experiences "github.com/qubit-experiences/qubit-experiences/bindings/go"
)

type scenario struct {
	Name       string          `json:"name"`
	Fixture    string          `json:"fixture"`
	TrackingID string          `json:"trackingId"`
	Faults     json.RawMessage `json:"faults"`
	FailOpen   bool            `json:"failOpen"`
	Query      *struct {
		ContextID      *string  `json:"contextId"`
		ExperienceIDs  []uint64 `json:"experienceIds"`
		Preview        bool     `json:"preview"`
		Variation      uint64   `json:"variation"`
		IgnoreSegments bool     `json:"ignoreSegments"`
		Filter         string   `json:"filter"`
	} `json:"query"`
	HTTP *struct {
		Method string `json:"method"`
		Path   string `json:"path"`
	} `json:"http"`
	Expect struct {
		Experiences []struct {
			ID          uint64 `json:"id"`
			Variation   uint64 `json:"variation"`
			IsControl   bool   `json:"isControl"`
			Payload     any    `json:"payload"`
			PayloadJSON string `json:"payloadJson"`
		} `json:"experiences"`
		ContextID            *string   `json:"contextId"`
		ContextIDGenerated   *bool     `json:"contextIdGenerated"`
		Source               string    `json:"source"`
		CookieDomains        []string  `json:"cookieDomains"`
		MissingExperienceIDs *[]uint64 `json:"missingExperienceIds"`
		RequestQuery         *string   `json:"requestQuery"`
		Error                string    `json:"error"`
		Status               int       `json:"status"`
	} `json:"expect"`
	Cookies         []map[string]any `json:"cookies"`
	Shown           []uint64         `json:"shown"`
	ExpectCallbacks []map[string]any `json:"expectCallbacks"`
}

var generatedID = regexp.MustCompile(`^[0-9a-z]{11}-[0-9a-z]{9}-[0-9a-z]{7}$`)

func TestConformanceScenarios(t *testing.T) {
	files, err := filepath.Glob(filepath.Join(repoRoot, "tests", "conformance", "*.json"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no scenarios: %v", err)
	}
	for _, file := range files {
		t.Run(strings.TrimSuffix(filepath.Base(file), ".json"), func(t *testing.T) {
			runScenario(t, loadScenario(t, file))
		})
	}
}

func loadScenario(t *testing.T, file string) scenario {
	t.Helper()
	text, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	var s scenario
	decoder := json.NewDecoder(bytes.NewReader(text))
	decoder.UseNumber()
	if err := decoder.Decode(&s); err != nil {
		t.Fatalf("%s: %v", file, err)
	}
	return s
}

func runScenario(t *testing.T, s scenario) {
	if s.Cookies != nil {
		checkCookieHelpers(t, s.Cookies)
		return
	}
	url := emulatorFor(t, s.Fixture)
	reset(t, url)
	if len(s.Faults) > 0 {
		setFaults(t, url, string(s.Faults))
	}
	if s.HTTP != nil {
		checkRawRequest(t, url, s)
		return
	}

	trackingID := s.TrackingID
	if trackingID == "" {
		var health struct{ TrackingID string }
		control(t, url, "GET", "/_emulator/health", "", &health)
		trackingID = health.TrackingID
	}
	client, err := experiences.NewClient(trackingID, experiences.WithBaseURL(url),
		experiences.WithBackoff(time.Millisecond, 5*time.Millisecond))
	if err != nil {
		t.Fatal(err)
	}
	defer client.Close()

	query := queryOf(s)
	var answer *experiences.Answer
	if s.FailOpen {
		answer = client.GetExperiencesFailOpen(context.Background(), query)
		err = answer.Err
	} else {
		answer, err = client.GetExperiences(context.Background(), query)
	}
	checkRequestQuery(t, url, s)

	if s.Expect.Error != "" {
		checkError(t, s, err)
		if s.FailOpen {
			checkAnswer(t, s, answer)
		}
		return
	}
	if err != nil {
		t.Fatalf("unexpected error: %v", err)
	}
	checkAnswer(t, s, answer)
	for _, id := range s.Shown {
		experience, ok := answer.Experience(id)
		if !ok {
			t.Fatalf("experience %d to show is not in the answer", id)
		}
		if err := client.Shown(context.Background(), experience, answer.ContextID); err != nil {
			t.Fatalf("shown %d: %v", id, err)
		}
	}
	checkCallbacks(t, url, s)
}

func queryOf(s scenario) experiences.Query {
	var query experiences.Query
	if s.Query == nil {
		return query
	}
	if s.Query.ContextID != nil {
		query.ContextID = *s.Query.ContextID
	}
	query.ExperienceIDs = s.Query.ExperienceIDs
	query.Preview = s.Query.Preview
	query.Variation = s.Query.Variation
	query.IgnoreSegments = s.Query.IgnoreSegments
	if s.Query.Filter == "strict" {
		query.Filter = experiences.FilterStrict
	}
	return query
}

func checkRawRequest(t *testing.T, url string, s scenario) {
	response := send(t, s.HTTP.Method, url+s.HTTP.Path, "")
	defer response.Body.Close()
	if response.StatusCode != s.Expect.Status {
		t.Fatalf("status %d, want %d", response.StatusCode, s.Expect.Status)
	}
	if response.StatusCode != http.StatusOK {
		return
	}

	// A raw 200 answer: the service's own field names.
	var served struct {
		ExperiencePayloads []struct {
			ID        uint64          `json:"id"`
			Variation uint64          `json:"variation"`
			IsControl bool            `json:"isControl"`
			Payload   json.RawMessage `json:"payload"`
		} `json:"experiencePayloads"`
		ContextID     string   `json:"contextId"`
		CookieDomains []string `json:"cookieDomains"`
	}
	if err := json.NewDecoder(response.Body).Decode(&served); err != nil {
		t.Fatal(err)
	}
	answer := &experiences.Answer{ContextID: served.ContextID, CookieDomains: served.CookieDomains}
	for _, e := range served.ExperiencePayloads {
		answer.Experiences = append(answer.Experiences, experiences.Experience{
			ID: e.ID, VariationMasterID: e.Variation, IsControl: e.IsControl, Payload: e.Payload})
	}
	checkAnswer(t, s, answer)
}

func checkRequestQuery(t *testing.T, url string, s scenario) {
	if s.Expect.RequestQuery == nil {
		return
	}
	var requests []struct{ Path, Query string }
	control(t, url, "GET", "/_emulator/requests", "", &requests)
	last := "(none)"
	for _, request := range requests {
		if strings.HasSuffix(request.Path, "/experiences") {
			last = request.Query
		}
	}
	if last != *s.Expect.RequestQuery {
		t.Errorf("request query %q, want %q", last, *s.Expect.RequestQuery)
	}
}

func checkError(t *testing.T, s scenario, err error) {
	var typed *experiences.Error
	if !errors.As(err, &typed) {
		t.Fatalf("error %v is not an *experiences.Error", err)
	}
	if typed.Code.String() != s.Expect.Error || typed.Status != s.Expect.Status {
		t.Errorf("error %s (status %d), want %s (status %d)", typed.Code, typed.Status,
			s.Expect.Error, s.Expect.Status)
	}
}

func checkAnswer(t *testing.T, s scenario, answer *experiences.Answer) {
	expect := s.Expect
	if expect.Experiences != nil {
		if len(answer.Experiences) != len(expect.Experiences) {
			t.Fatalf("%d experiences, want %d", len(answer.Experiences), len(expect.Experiences))
		}
		for i, want := range expect.Experiences {
			got := answer.Experiences[i]
			if got.ID != want.ID || got.VariationMasterID != want.Variation || got.IsControl != want.IsControl {
				t.Errorf("experience %d: got %d/%d/%v, want %d/%d/%v", i, got.ID,
					got.VariationMasterID, got.IsControl, want.ID, want.Variation, want.IsControl)
			}
			if want.PayloadJSON != "" && string(got.Payload) != want.PayloadJSON {
				t.Errorf("payload text of %d: %s", got.ID, got.Payload)
			}
			if !jsonEqual(decode(t, got.Payload), want.Payload) {
				t.Errorf("payload of %d: %s", got.ID, got.Payload)
			}
		}
	}
	if expect.ContextID != nil && (answer.ContextID != *expect.ContextID || answer.ContextIDGenerated) {
		t.Errorf("context id %q (generated %v), want %q", answer.ContextID,
			answer.ContextIDGenerated, *expect.ContextID)
	}
	if expect.ContextIDGenerated != nil && (answer.ContextIDGenerated != *expect.ContextIDGenerated ||
		answer.ContextIDGenerated && !generatedID.MatchString(answer.ContextID)) {
		t.Errorf("context id %q generated %v, want %v", answer.ContextID, answer.ContextIDGenerated,
			*expect.ContextIDGenerated)
	}
	if expect.Source != "" && answer.Source != expect.Source {
		t.Errorf("source %q, want %q", answer.Source, expect.Source)
	}
	if expect.CookieDomains != nil && !slices.Equal(answer.CookieDomains, expect.CookieDomains) {
		t.Errorf("cookie domains %v, want %v", answer.CookieDomains, expect.CookieDomains)
	}
	if expect.MissingExperienceIDs != nil &&
		!slices.Equal(answer.MissingExperienceIDs, *expect.MissingExperienceIDs) {
		t.Errorf("missing ids %v, want %v", answer.MissingExperienceIDs, *expect.MissingExperienceIDs)
	}
}

func checkCallbacks(t *testing.T, url string, s scenario) {
	if s.ExpectCallbacks == nil {
		return
	}
	var callbacks []map[string]any
	control(t, url, "GET", "/_emulator/callbacks", "", &callbacks)
	if len(callbacks) != len(s.ExpectCallbacks) {
		t.Fatalf("%d callbacks, want %d", len(callbacks), len(s.ExpectCallbacks))
	}
	for i, want := range s.ExpectCallbacks {
		for _, key := range []string{"body", "contentType", "decision"} {
			if expected, ok := want[key]; ok && !jsonEqual(callbacks[i][key], expected) {
				t.Errorf("callback %d %s: %v, want %v", i, key, callbacks[i][key], expected)
			}
		}
	}
}

// checkCookieHelpers calls the helper each check names with its arguments.
func checkCookieHelpers(t *testing.T, checks []map[string]any) {
	for i, check := range checks {
		var got any
		text := func(key string) string { value, _ := check[key].(string); return value }
		switch check["function"] {
		case "contextIdFromCookieHeader":
			if id, ok := experiences.ContextIDFromCookieHeader(text("header")); ok {
				got = id
			}
		case "cookieDomainForHost":
			var domains []string
			for _, domain := range check["cookieDomains"].([]any) {
				domains = append(domains, domain.(string))
			}
			if domain, ok := experiences.CookieDomainForHost(text("host"), domains); ok {
				got = domain
			}
		case "setCookieHeader":
			secure, _ := check["secure"].(bool)
			header, err := experiences.SetCookieHeader(text("contextId"), text("domain"), secure)
			if err != nil {
				t.Errorf("check %d: %v", i, err)
			}
			got = header
		default:
			t.Errorf("check %d: unknown function %v", i, check["function"])
			continue
		}
		if !reflect.DeepEqual(got, check["expect"]) {
			t.Errorf("check %d %v: got %#v, want %#v", i, check["function"], got, check["expect"])
		}
	}
}

func decode(t *testing.T, text []byte) any {
	t.Helper()
	var value any
	decoder := json.NewDecoder(bytes.NewReader(text))
	decoder.UseNumber()
	if err := decoder.Decode(&value); err != nil {
		t.Fatalf("%s is not JSON: %v", text, err)
	}
	return value
}

// jsonEqual compares decoded JSON: integers by their exact text, other
// numbers by value (1.5e+300 is 1.5e300).
func jsonEqual(a, b any) bool {
	switch a := a.(type) {
	case json.Number:
		other, ok := b.(json.Number)
		if !ok {
			return false
		}
		if !strings.ContainsAny(a.String()+other.String(), ".eE") {
			return a == other
		}
		x, _ := a.Float64()
		y, _ := other.Float64()
		return x == y
	case map[string]any:
		other, ok := b.(map[string]any)
		if !ok || len(a) != len(other) {
			return false
		}
		for key, value := range a {
			if !jsonEqual(value, other[key]) {
				return false
			}
		}
		return true
	case []any:
		other, ok := b.([]any)
		if !ok || len(a) != len(other) {
			return false
		}
		for i := range a {
			if !jsonEqual(a[i], other[i]) {
				return false
			}
		}
		return true
	default:
		return reflect.DeepEqual(a, b)
	}
}
