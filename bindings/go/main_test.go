package experiences_test

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
)

// repoRoot is the repository, two levels up from this package.
var repoRoot, _ = filepath.Abs(filepath.Join("..", ".."))

// baseURL is the retail emulator's URL: examples fetch from it.
var baseURL string

var (
	emulatorsMu sync.Mutex
	emulators   = map[string]string{}
	processes   []*exec.Cmd
)

func TestMain(m *testing.M) {
	url, err := startEmulator("retail.json")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	baseURL = url

	code := m.Run()
	for _, process := range processes {
		_ = process.Process.Kill()
		_ = process.Wait()
	}
	os.Exit(code)
}

// emulatorFor gives the URL of the emulator serving this fixture, starting
// it on first use.
func emulatorFor(t *testing.T, fixture string) string {
	t.Helper()
	url, err := startEmulator(fixture)
	if err != nil {
		t.Fatal(err)
	}
	return url
}

func startEmulator(fixture string) (string, error) {
	emulatorsMu.Lock()
	defer emulatorsMu.Unlock()
	if url, ok := emulators[fixture]; ok {
		return url, nil
	}

	binary := os.Getenv("QUBIT_EMULATOR_BIN")
	if binary == "" {
		binary = filepath.Join(repoRoot, "target", "debug", "qubit-experiences")
	}
	process := exec.Command(binary, "emulator", "--fixture",
		filepath.Join(repoRoot, "emulator", "fixtures", fixture), "--port", "0")
	stdout, err := process.StdoutPipe()
	if err != nil {
		return "", err
	}
	if err := process.Start(); err != nil {
		return "", fmt.Errorf("starting the emulator (%s; run scripts/test-go.sh, which builds it): %w", binary, err)
	}
	processes = append(processes, process)

	lines := bufio.NewReader(stdout)
	first, err := lines.ReadString('\n')
	if err != nil {
		return "", fmt.Errorf("the emulator printed no URL: %w", err)
	}
	go func() { _, _ = io.Copy(io.Discard, lines) }()
	url := strings.TrimSpace(first)
	emulators[fixture] = url
	return url, nil
}

// control sends a request to an emulator's control endpoint and decodes
// a JSON answer into out when out is not nil.
func control(t *testing.T, url, method, path, body string, out any) {
	t.Helper()
	response := send(t, method, url+path, body)
	defer response.Body.Close()
	text, _ := io.ReadAll(response.Body)
	if response.StatusCode >= 300 {
		t.Fatalf("%s %s: %d %s", method, path, response.StatusCode, text)
	}
	if out != nil {
		decoder := json.NewDecoder(bytes.NewReader(text))
		decoder.UseNumber()
		if err := decoder.Decode(out); err != nil {
			t.Fatalf("%s %s: %v", method, path, err)
		}
	}
}

// send makes one HTTP request to an emulator; the caller closes the body.
func send(t *testing.T, method, url, body string) *http.Response {
	t.Helper()
	request, err := http.NewRequest(method, url, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	response, err := http.DefaultClient.Do(request)
	if err != nil {
		t.Fatal(err)
	}
	return response
}

func reset(t *testing.T, url string) {
	t.Helper()
	control(t, url, "POST", "/_emulator/reset", "", nil)
}

func setFaults(t *testing.T, url, faults string) {
	t.Helper()
	control(t, url, "PUT", "/_emulator/faults", `{"faults":`+faults+`}`, nil)
}
