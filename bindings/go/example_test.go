package experiences_test

import (
	"context"
	"fmt"
	"html"
	"log"
	"net/http"
	"net/http/httptest"
	"strings"

	experiences "github.com/qubit-experiences/qubit-experiences/bindings/go"
)

// A net/http handler that personalises a page: it reads the visitor's
// cookie, fetches their experiences (fail-open, so the page always
// renders), renders each payload, reports the exposures in the background
// and sets the cookie for a new visitor.
func Example_httpHandler() {
	// One client per process, shared by every request. baseURL is the
	// local emulator in these tests; leave WithBaseURL out in production.
	client, err := experiences.NewClient("retail_shop", experiences.WithBaseURL(baseURL))
	if err != nil {
		log.Fatal(err)
	}
	defer client.Close()

	handler := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		contextID, _ := experiences.ContextIDFromCookieHeader(r.Header.Get("Cookie"))
		answer := client.GetExperiencesFailOpen(r.Context(), experiences.Query{ContextID: contextID})

		// The cookie must be set before the page is written.
		if answer.ContextIDGenerated {
			domain, _ := experiences.CookieDomainForHost(r.Host, answer.CookieDomains)
			if cookie, err := experiences.SetCookieHeader(answer.ContextID, domain, r.TLS != nil); err == nil {
				w.Header().Add("Set-Cookie", cookie)
			}
		}

		for _, experience := range answer.Experiences {
			fmt.Fprintf(w, "<div data-experience=%d>%s</div>\n", experience.ID,
				html.EscapeString(string(experience.Payload)))
			if _, err := client.ShownLater(experience, answer.ContextID); err != nil {
				log.Printf("exposure of %d not reported: %v", experience.ID, err)
			}
		}
	})

	// A returning visitor, then a new one.
	returning := httptest.NewRequest("GET", "http://www.shop.example/", nil)
	returning.Header.Set("Cookie", "_qubitTracker=visitor-1")
	page := httptest.NewRecorder()
	handler.ServeHTTP(page, returning)
	fmt.Println("returning visitor:", strings.Count(page.Body.String(), "<div"), "experiences,",
		len(page.Result().Cookies()), "cookies set")

	page = httptest.NewRecorder()
	handler.ServeHTTP(page, httptest.NewRequest("GET", "http://www.shop.example/", nil))
	cookie := page.Result().Cookies()[0]
	fmt.Println("new visitor cookie:", cookie.Name, "for", cookie.Domain, "max age", cookie.MaxAge)

	if err := client.Flush(context.Background()); err != nil {
		log.Fatal(err)
	}
	stats, _ := client.Stats()
	fmt.Println("exposures reported:", stats.CallbacksSent > 0)
	// Output:
	// returning visitor: 3 experiences, 0 cookies set
	// new visitor cookie: _qubitTracker for shop.example max age 31536000
	// exposures reported: true
}
