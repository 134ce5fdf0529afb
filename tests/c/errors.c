/* Every error path of the C API, and every helper, against a running
 * emulator:
 *
 *     errors BASE_URL
 *
 * Each failing call must return its code, fill the error object with the
 * code, a message and the HTTP status, and leave its outputs untouched. */

#define _GNU_SOURCE

#include <arpa/inet.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include "harness.h"

static const char *base_url;

/* Checks a call's status and its error object, then frees the object and
 * clears `*error_slot` for the next call. */
static void expect_failure(qubit_status status, qubit_error **error_slot, qubit_status expected,
                           uint16_t http_status, const char *what)
{
    qubit_error *error = *error_slot;
    *error_slot = NULL;
    CHECK(status == expected, "%s: status %s, expected %s", what, qubit_status_name(status),
          qubit_status_name(expected));
    CHECK(error != NULL && qubit_error_code(error) == expected, "%s: error object code", what);
    CHECK(qubit_error_message(error) != NULL && strlen(qubit_error_message(error)) > 0,
          "%s: error message", what);
    CHECK(qubit_error_status(error) == http_status, "%s: HTTP status %u, expected %u", what,
          qubit_error_status(error), http_status);
    bool retryable = expected == QUBIT_CONNECTION || http_status == 429 || http_status >= 500;
    CHECK(qubit_error_retryable(error) == retryable, "%s: retryable is %d", what,
          qubit_error_retryable(error));
    qubit_error_free(error);
}

/* Replaces the emulator's faults with this JSON list. */
static void set_fault_list(const char *list)
{
    char body[512];
    snprintf(body, sizeof body, "{\"faults\":%s}", list);
    http_response response = {0};
    int rc = http_request(base_url, "PUT", "/_emulator/faults", body, &response);
    CHECK(rc == 0 && response.status == 204, "faults %s (status %d)", list, response.status);
    http_response_free(&response);
}

/* What the log callback received, guarded: it may run on any thread. */
typedef struct {
    pthread_mutex_t lock;
    int count;
    int above_max_level;
    uint32_t level;
    char target[128];
    char message[512];
} log_records;

static void remember_log(void *userdata, uint32_t level, const char *target, size_t target_len,
                         const char *message, size_t message_len)
{
    log_records *records = userdata;
    pthread_mutex_lock(&records->lock);
    if (level > QUBIT_LOG_LEVEL_WARN || level < QUBIT_LOG_LEVEL_ERROR) {
        records->above_max_level++;
    }
    /* Keep the first warning: the texts are valid only during the call. */
    if (level == QUBIT_LOG_LEVEL_WARN && records->count++ == 0) {
        records->level = level;
        snprintf(records->target, sizeof records->target, "%.*s", (int)target_len, target);
        snprintf(records->message, sizeof records->message, "%.*s", (int)message_len, message);
    }
    pthread_mutex_unlock(&records->lock);
}

static void fail_open_unknown_tracking_id(void)
{
    qubit_client *client = harness_client(base_url, "no_such_property");
    qubit_query *query = qubit_query_new();
    qubit_answer *answer = NULL;
    CHECK(qubit_client_get_experiences_fail_open(client, query, &answer, NULL) == QUBIT_OK,
          "fail-open for an unknown tracking id");
    CHECK(qubit_error_code(qubit_answer_error(answer)) == QUBIT_NOT_FOUND,
          "the emulator answers 404 for an unknown tracking id");
    qubit_answer_free(answer);
    qubit_query_free(query);
    qubit_client_close(client, 1000, NULL);
    qubit_client_free(client);
}

static void test_log_routing(void)
{
    log_records *records = calloc(1, sizeof *records);
    pthread_mutex_init(&records->lock, NULL);
    qubit_error *error = NULL;

    expect_failure(qubit_log_set_callback(remember_log, records, 6, &error), &error,
                   QUBIT_INVALID_ARGUMENT, 0, "log level 6");
    CHECK(qubit_log_set_callback(remember_log, records, QUBIT_LOG_LEVEL_WARN, &error) ==
              QUBIT_OK,
          "set the log callback: %s", qubit_error_message(error));

    fail_open_unknown_tracking_id();

    pthread_mutex_lock(&records->lock);
    CHECK(records->count == 1, "one warning logged, got %d", records->count);
    CHECK(records->level == QUBIT_LOG_LEVEL_WARN, "logged at warn");
    CHECK(strcmp(records->target, "qubit_experiences::client") == 0, "log target: %s",
          records->target);
    CHECK(strncmp(records->message, "serving default content: ", 25) == 0 &&
              strstr(records->message, "404") != NULL,
          "log message: %s", records->message);
    CHECK(records->above_max_level == 0, "nothing above the maximum level");
    pthread_mutex_unlock(&records->lock);

    /* Removed: the setter returned, so the callback never runs again and
     * its userdata may be freed. */
    CHECK(qubit_log_set_callback(NULL, NULL, QUBIT_LOG_LEVEL_TRACE, NULL) == QUBIT_OK,
          "remove the log callback");
    pthread_mutex_lock(&records->lock);
    int count = records->count;
    pthread_mutex_unlock(&records->lock);
    fail_open_unknown_tracking_id();
    CHECK(records->count == count, "no record after removal");
    pthread_mutex_destroy(&records->lock);
    free(records);
    fail_open_unknown_tracking_id();
}

static qubit_answer *fetch_visitor(const qubit_client *client, const char *context_id);
static qubit_error *fetch_error(const qubit_client *client);

/* A client of the emulator with extra settings applied by `configure`. */
static qubit_client *client_with(void (*configure)(qubit_client_options *))
{
    qubit_client_options *options = NULL;
    qubit_client *client = NULL;
    qubit_client_options_new("retail_shop", &options, NULL);
    qubit_client_options_set_base_url(options, base_url, NULL);
    qubit_client_options_set_backoff_ms(options, 1, 5, NULL);
    configure(options);
    CHECK(qubit_client_new(options, &client, NULL) == QUBIT_OK, "client built");
    qubit_client_options_free(options);
    return client;
}

static qubit_query *visitor_query(const char *context_id)
{
    qubit_query *query = qubit_query_new();
    qubit_query_set_context_id(query, context_id, NULL);
    return query;
}

/* Fetches for visitor-1 and expects a failure. */
static void expect_fetch_failure(const qubit_client *client, qubit_status expected,
                                 uint16_t http_status, const char *what)
{
    qubit_query *query = visitor_query("visitor-1");
    qubit_answer *sentinel = (qubit_answer *)&sentinel;
    qubit_answer *answer = sentinel;
    qubit_error *error = NULL;

    qubit_status status = qubit_client_get_experiences(client, query, &answer, &error);

    expect_failure(status, &error, expected, http_status, what);
    CHECK(answer == sentinel, "%s: output untouched", what);
    qubit_query_free(query);
}

static void test_status_names(void)
{
    const char *names[] = {"OK",        "INVALID_ARGUMENT", "NOT_FOUND",
                           "HTTP_STATUS", "TIMEOUT",        "CONNECTION",
                           "DECODE",    "RESPONSE_TOO_LARGE", "CALLBACK_REFUSED",
                           "CLOSED",    "QUEUE_FULL",       "INTERNAL"};
    for (uint32_t i = 0; i < 12; i++) {
        CHECK(strcmp(qubit_status_name(i), names[i]) == 0, "status %u is %s", i, names[i]);
    }
    CHECK(strcmp(qubit_status_name(12), "UNKNOWN") == 0, "status 12 is unknown");
    CHECK(QUBIT_INTERNAL == 11 && QUBIT_QUEUE_FULL == 10 && QUBIT_INVALID_ARGUMENT == 1,
          "status numbers are the core's");
}

static void test_null_and_invalid_arguments(void)
{
    const char not_utf8[] = {'r', (char)0xff, 'x', 0};
    qubit_client_options *options = NULL;
    qubit_error *error = NULL;

    expect_failure(qubit_client_options_new(NULL, &options, &error), &error,
                   QUBIT_INVALID_ARGUMENT, 0, "NULL tracking id");
    CHECK(options == NULL, "options untouched after failure");
    expect_failure(qubit_client_options_new(not_utf8, &options, &error), &error,
                   QUBIT_INVALID_ARGUMENT, 0, "tracking id not UTF-8");
    expect_failure(qubit_client_options_new("retail_shop", NULL, &error), &error,
                   QUBIT_INVALID_ARGUMENT, 0, "NULL options_out");
    expect_failure(qubit_client_options_set_timeout_ms(NULL, 5, &error), &error,
                   QUBIT_INVALID_ARGUMENT, 0, "NULL options");
    expect_failure(qubit_client_new(NULL, NULL, &error), &error, QUBIT_INVALID_ARGUMENT, 0,
                   "NULL options to client_new");

    /* The error out-parameter itself may be NULL. */
    CHECK(qubit_client_options_new(NULL, &options, NULL) == QUBIT_INVALID_ARGUMENT,
          "NULL error out-parameter");

    CHECK(qubit_client_options_new("retail_shop", &options, NULL) == QUBIT_OK, "options");
    expect_failure(qubit_client_options_set_base_url(options, NULL, &error), &error,
                   QUBIT_INVALID_ARGUMENT, 0, "NULL base URL");
    expect_failure(qubit_client_options_set_proxy(options, not_utf8, &error), &error,
                   QUBIT_INVALID_ARGUMENT, 0, "proxy not UTF-8");
    qubit_client_options_free(options);

    qubit_query *query = qubit_query_new();
    expect_failure(qubit_query_set_context_id(query, not_utf8, &error), &error,
                   QUBIT_INVALID_ARGUMENT, 0, "context id not UTF-8");
    expect_failure(qubit_query_set_filter(query, 7, &error), &error, QUBIT_INVALID_ARGUMENT, 0,
                   "unknown filter");
    expect_failure(qubit_query_set_experience_ids(query, NULL, 2, &error), &error,
                   QUBIT_INVALID_ARGUMENT, 0, "NULL ids with a count");
    CHECK(qubit_query_set_experience_ids(query, NULL, 0, NULL) == QUBIT_OK, "no ids");
    /* A count no memory could hold is refused before anything is read. */
    const uint64_t one_id[] = {144119};
    expect_failure(qubit_query_set_experience_ids(query, one_id, SIZE_MAX, &error), &error,
                   QUBIT_INVALID_ARGUMENT, 0, "SIZE_MAX ids");
    expect_failure(qubit_query_set_experience_ids(query, one_id, SIZE_MAX / 8 + 1, &error),
                   &error, QUBIT_INVALID_ARGUMENT, 0, "ids beyond the address space");
    const char *one_domain[] = {"shop.example"};
    char *domain = NULL;
    expect_failure(qubit_cookie_domain_for_host("shop.example", one_domain, SIZE_MAX, &domain,
                                                &error),
                   &error, QUBIT_INVALID_ARGUMENT, 0, "SIZE_MAX cookie domains");
    CHECK(domain == NULL, "domain untouched after failure");
    expect_failure(qubit_query_set_preview(NULL, true, &error), &error, QUBIT_INVALID_ARGUMENT,
                   0, "NULL query");
    qubit_query_free(query);
}

static void test_unusable_settings(void)
{
    struct {
        const char *tracking_id;
        const char *base_url;
        uint64_t timeout_ms;
        const char *what;
    } cases[] = {
        {"", "http://127.0.0.1:1", 1000, "empty tracking id"},
        {"retail_shop", "not a url", 1000, "base URL without a scheme"},
        {"retail_shop", "http://127.0.0.1:1", 0, "zero timeout"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        qubit_client_options *options = NULL;
        qubit_client *sentinel = (qubit_client *)&sentinel;
        qubit_client *client = sentinel;
        qubit_error *error = NULL;
        qubit_client_options_new(cases[i].tracking_id, &options, NULL);
        qubit_client_options_set_base_url(options, cases[i].base_url, NULL);
        qubit_client_options_set_timeout_ms(options, cases[i].timeout_ms, NULL);

        expect_failure(qubit_client_new(options, &client, &error), &error,
                       QUBIT_INVALID_ARGUMENT, 0, cases[i].what);
        CHECK(client == sentinel, "%s: client untouched", cases[i].what);
        qubit_client_options_free(options);
    }
}

static void every_setting(qubit_client_options *options)
{
    qubit_status status = QUBIT_OK;
    status |= qubit_client_options_set_timeout_ms(options, 2000, NULL);
    status |= qubit_client_options_set_connect_timeout_ms(options, 300, NULL);
    status |= qubit_client_options_set_retries(options, 1, NULL);
    status |= qubit_client_options_set_max_response_bytes(options, 1 << 20, NULL);
    status |= qubit_client_options_set_cache(options, 60000, 100, 5000, NULL);
    status |= qubit_client_options_allow_callback_host(options, "cdn.shop.example", NULL);
    status |= qubit_client_options_set_callback_timeout_ms(options, 1000, NULL);
    status |= qubit_client_options_set_queue_capacity(options, 100, NULL);
    status |= qubit_client_options_set_callback_workers(options, 1, NULL);
    status |= qubit_client_options_set_max_idle_connections(options, 4, NULL);
    status |= qubit_client_options_set_binding(options, "c-tests/1", NULL);
    status |= qubit_client_options_set_proxy(options, "http://127.0.0.1:1", NULL);
    CHECK(status == QUBIT_OK, "every setting accepted");
}

/* Every setting is accepted; the cache answers a repeated fetch; a CA file
 * that cannot be read is refused when the client is built. */
static void test_settings(void)
{
    qubit_client *client = client_with(every_setting);
    qubit_client_close(client, 1000, NULL);
    qubit_client_free(client);

    qubit_client_options *options = NULL;
    qubit_error *error = NULL;
    qubit_client_options_new("retail_shop", &options, NULL);
    qubit_client_options_set_base_url(options, base_url, NULL);
    qubit_client_options_set_cache(options, 60000, 100, 0, NULL);
    qubit_client_new(options, &client, NULL);
    qubit_answer *first = fetch_visitor(client, "visitor-1");
    qubit_answer *second = fetch_visitor(client, "visitor-1");
    CHECK(strcmp(qubit_answer_source(first), "service") == 0 &&
              strcmp(qubit_answer_source(second), "cache") == 0,
          "the cache answers a repeated fetch");
    qubit_answer_free(first);
    qubit_answer_free(second);
    qubit_client_close(client, 1000, NULL);
    qubit_client_free(client);

    qubit_client_options_set_extra_ca_file(options, "/nonexistent/ca.pem", NULL);
    expect_failure(qubit_client_new(options, &client, &error), &error, QUBIT_INVALID_ARGUMENT, 0,
                   "unreadable CA file");
    qubit_client_options_free(options);
}

static void no_retries(qubit_client_options *options)
{
    qubit_client_options_set_retries(options, 0, NULL);
    qubit_client_options_set_timeout_ms(options, 300, NULL);
    qubit_client_options_set_max_response_bytes(options, 4096, NULL);
}

static void test_service_failures(void)
{
    qubit_client *client = client_with(no_retries);

    struct {
        const char *faults;
        qubit_status expected;
        uint16_t http_status;
        const char *what;
    } cases[] = {
        {"[{\"kind\":\"status\",\"status\":503,\"body\":\"down\"}]", QUBIT_HTTP_STATUS, 503,
         "503"},
        {"[{\"kind\":\"status\",\"status\":404}]", QUBIT_NOT_FOUND, 404, "404"},
        {"[{\"kind\":\"malformed\"}]", QUBIT_DECODE, 0, "malformed answer"},
        {"[{\"kind\":\"oversize\",\"bytes\":100000}]", QUBIT_RESPONSE_TOO_LARGE, 0,
         "oversize answer"},
        {"[{\"kind\":\"latency\",\"ms\":1500}]", QUBIT_TIMEOUT, 0, "slow answer"},
        {"[{\"kind\":\"drop\"}]", QUBIT_CONNECTION, 0, "dropped connection"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        set_fault_list(cases[i].faults);
        expect_fetch_failure(client, cases[i].expected, cases[i].http_status, cases[i].what);
    }
    emulator_reset(base_url);

    /* An HTTP error keeps the start of its body; no other error has one. */
    set_fault_list("[{\"kind\":\"status\",\"status\":503,\"body\":\"down\"}]");
    qubit_error *http_error = fetch_error(client);
    CHECK(qubit_error_body_excerpt(http_error) &&
              strcmp(qubit_error_body_excerpt(http_error), "down") == 0,
          "503 body excerpt");
    qubit_error_free(http_error);
    set_fault_list("[{\"kind\":\"status\",\"status\":404}]");
    qubit_error *not_found = fetch_error(client);
    CHECK(qubit_error_code(not_found) == QUBIT_NOT_FOUND &&
              qubit_error_body_excerpt(not_found) == NULL,
          "no body excerpt for a 404");
    qubit_error_free(not_found);
    CHECK(qubit_error_body_excerpt(NULL) == NULL, "no body excerpt for NULL");
    emulator_reset(base_url);

    /* A query's own timeout replaces the client's. */
    set_fault_list("[{\"kind\":\"latency\",\"ms\":200}]");
    qubit_query *query = visitor_query("visitor-1");
    qubit_query_set_timeout_ms(query, 50, NULL);
    qubit_answer *answer = NULL;
    qubit_error *error = NULL;
    expect_failure(qubit_client_get_experiences(client, query, &answer, &error), &error,
                   QUBIT_TIMEOUT, 0, "query timeout");
    emulator_reset(base_url);

    /* Refused by the query's own checks: nothing is sent. */
    qubit_query_set_timeout_ms(query, 0, NULL);
    expect_failure(qubit_client_get_experiences(client, query, &answer, &error), &error,
                   QUBIT_INVALID_ARGUMENT, 0, "zero query timeout");
    qubit_query_free(query);
    query = visitor_query("");
    expect_failure(qubit_client_get_experiences(client, query, &answer, &error), &error,
                   QUBIT_INVALID_ARGUMENT, 0, "empty context id");
    expect_failure(qubit_client_get_experiences(client, NULL, &answer, &error), &error,
                   QUBIT_INVALID_ARGUMENT, 0, "NULL query");
    expect_failure(qubit_client_get_experiences(client, query, NULL, &error), &error,
                   QUBIT_INVALID_ARGUMENT, 0, "NULL answer_out");
    qubit_query_free(query);

    qubit_client_close(client, 1000, NULL);
    qubit_client_free(client);
}

/* The URL of a port nothing listens on. */
static void closed_port_url(char *url, size_t size)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in address = {0};
    socklen_t length = sizeof address;
    address.sin_family = AF_INET;
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    bind(fd, (struct sockaddr *)&address, sizeof address);
    getsockname(fd, (struct sockaddr *)&address, &length);
    snprintf(url, size, "http://127.0.0.1:%d", ntohs(address.sin_port));
    close(fd);
}

/* A server on 127.0.0.1 that answers `count` connections, one request
 * each, with the same canned response, then stops. */
typedef struct {
    int listener;
    int count;
    const char *response;
    size_t response_length;
    pthread_t thread;
} canned_server;

static void *canned_serve(void *argument)
{
    canned_server *server = argument;
    for (int i = 0; i < server->count; i++) {
        int fd = accept(server->listener, NULL, NULL);
        if (fd < 0) {
            break;
        }
        char request[4096];
        size_t used = 0;
        ssize_t got;
        while (used < sizeof request - 1 &&
               (got = read(fd, request + used, sizeof request - 1 - used)) > 0) {
            used += (size_t)got;
            request[used] = 0;
            if (strstr(request, "\r\n\r\n")) {
                break;
            }
        }
        ssize_t written = write(fd, server->response, server->response_length);
        (void)written;
        close(fd);
    }
    return NULL;
}

/* Starts serving `count` requests with a response of `status`, whose body
 * is the `body_length` bytes at `body` (NUL bytes included); writes the
 * base URL to `url`. */
static void canned_start(canned_server *server, int count, int status, const char *body,
                         size_t body_length, char *url, size_t url_size)
{
    static char response[1024];
    int head = snprintf(response, sizeof response,
                        "HTTP/1.1 %d Canned\r\nContent-Type: application/json\r\n"
                        "Content-Length: %zu\r\nConnection: close\r\n\r\n",
                        status, body_length);
    memcpy(response + head, body, body_length);
    server->response = response;
    server->response_length = (size_t)head + body_length;
    server->count = count;

    server->listener = socket(AF_INET, SOCK_STREAM, 0);
    /* accept gives up after 5 s, so a client that calls less never hangs. */
    struct timeval patience = {.tv_sec = 5};
    setsockopt(server->listener, SOL_SOCKET, SO_RCVTIMEO, &patience, sizeof patience);
    struct sockaddr_in address = {0};
    socklen_t length = sizeof address;
    address.sin_family = AF_INET;
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    CHECK(bind(server->listener, (struct sockaddr *)&address, sizeof address) == 0 &&
              listen(server->listener, 8) == 0 &&
              getsockname(server->listener, (struct sockaddr *)&address, &length) == 0,
          "canned server listens");
    snprintf(url, url_size, "http://127.0.0.1:%d", ntohs(address.sin_port));
    pthread_create(&server->thread, NULL, canned_serve, server);
}

static void canned_stop(canned_server *server)
{
    pthread_join(server->thread, NULL);
    close(server->listener);
}

/* The error of one strict fetch for visitor-1 (NULL, and a failed check,
 * when it succeeds). */
static qubit_error *fetch_error(const qubit_client *client)
{
    qubit_query *query = visitor_query("visitor-1");
    qubit_answer *answer = NULL;
    qubit_error *error = NULL;
    CHECK(qubit_client_get_experiences(client, query, &answer, &error) != QUBIT_OK,
          "the fetch fails");
    qubit_answer_free(answer);
    qubit_query_free(query);
    return error;
}

/* A string C cannot carry whole (a NUL byte in it) is never cut short: a
 * helper refuses it as an invalid argument, an answer as a decode error. */
static void test_strings_with_a_nul_are_refused(void)
{
    char *text = (char *)"sentinel";
    qubit_error *error = NULL;
    expect_failure(qubit_cookie_context_id("a=1; _qubitTracker=a%00b", &text, &error), &error,
                   QUBIT_INVALID_ARGUMENT, 0, "cookie id decoding to a NUL");
    CHECK(text && strcmp(text, "sentinel") == 0, "cookie id output untouched");

    const char new_visitor[] = "{\"contextId\":\"a\\u0000b\",\"experiencePayloads\":[]}";
    const char domains[] = "{\"cookieDomains\":[\"shop\\u0000.example\"],"
                           "\"experiencePayloads\":[]}";
    struct {
        const char *body;
        int with_context_id;
        const char *what;
    } cases[] = {
        {new_visitor, 0, "generated context id with a NUL"},
        {domains, 1, "cookie domain with a NUL"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char url[64];
        canned_server server;
        canned_start(&server, 2, 200, cases[i].body, strlen(cases[i].body), url, sizeof url);
        qubit_client *client = harness_client(url, "retail_shop");
        qubit_query *query = cases[i].with_context_id ? visitor_query("visitor-1")
                                                      : qubit_query_new();
        qubit_answer *answer = NULL;

        expect_failure(qubit_client_get_experiences(client, query, &answer, &error), &error,
                       QUBIT_DECODE, 0, cases[i].what);
        CHECK(answer == NULL, "%s: no answer", cases[i].what);

        /* Fail-open still answers: the fallback, carrying the DECODE error. */
        CHECK(qubit_client_get_experiences_fail_open(client, query, &answer, NULL) == QUBIT_OK,
              "%s: fail-open answers", cases[i].what);
        CHECK(strcmp(qubit_answer_source(answer), "fallback") == 0 &&
                  qubit_answer_experience_count(answer) == 0,
              "%s: fail-open gives the fallback", cases[i].what);
        const qubit_error *carried = qubit_answer_error(answer);
        CHECK(carried != NULL && qubit_error_code(carried) == QUBIT_DECODE,
              "%s: the fallback carries DECODE", cases[i].what);
        qubit_answer_free(answer);
        answer = NULL;

        qubit_query_free(query);
        qubit_client_close(client, 1000, NULL);
        qubit_client_free(client);
        canned_stop(&server);
    }

    /* An error's body shows a NUL byte as U+FFFD. */
    char url[64];
    canned_server server;
    canned_start(&server, 1, 503, "a\0b", 3, url, sizeof url);
    qubit_client_options *options = NULL;
    qubit_client *client = NULL;
    qubit_client_options_new("retail_shop", &options, NULL);
    qubit_client_options_set_base_url(options, url, NULL);
    qubit_client_options_set_retries(options, 0, NULL);
    CHECK(qubit_client_new(options, &client, NULL) == QUBIT_OK, "client without retries");
    qubit_client_options_free(options);
    qubit_error *http_error = fetch_error(client);
    CHECK(qubit_error_body_excerpt(http_error) &&
              strcmp(qubit_error_body_excerpt(http_error), "a\xef\xbf\xbd"
                                                           "b") == 0,
          "a NUL in the body excerpt reads as U+FFFD");
    CHECK(strstr(qubit_error_message(http_error), "a\xef\xbf\xbd"
                                                  "b") != NULL,
          "and in the message: %s", qubit_error_message(http_error));
    qubit_error_free(http_error);
    qubit_client_close(client, 1000, NULL);
    qubit_client_free(client);
    canned_stop(&server);
}

static void test_connection_refused_and_fail_open(void)
{
    char url[64];
    closed_port_url(url, sizeof url);
    qubit_client *client = harness_client(url, "retail_shop");

    expect_fetch_failure(client, QUBIT_CONNECTION, 0, "connection refused");

    qubit_query *query = qubit_query_new();
    qubit_answer *answer = NULL;
    CHECK(qubit_client_get_experiences_fail_open(client, query, &answer, NULL) == QUBIT_OK,
          "fail-open never fails");
    CHECK(strcmp(qubit_answer_source(answer), "fallback") == 0, "fail-open source");
    CHECK(qubit_answer_experience_count(answer) == 0, "fail-open has no experiences");
    CHECK(qubit_error_code(qubit_answer_error(answer)) == QUBIT_CONNECTION,
          "fail-open carries the error");
    CHECK(qubit_answer_context_id_generated(answer) &&
              is_generated_context_id(qubit_answer_context_id(answer)),
          "fail-open generates an id for a new visitor");
    yajl_val json = json_parse(qubit_answer_json(answer), "fail-open answer JSON");
    yajl_val code = json_member(json_member(json, "error"), "code");
    CHECK(YAJL_IS_STRING(code) && strcmp(code->u.string, "CONNECTION") == 0,
          "fail-open answer JSON names the error");
    yajl_tree_free(json);
    qubit_answer_free(answer);
    qubit_query_free(query);

    qubit_client_close(client, 1000, NULL);
    qubit_client_free(client);
}

static qubit_answer *fetch_visitor(const qubit_client *client, const char *context_id)
{
    qubit_query *query = visitor_query(context_id);
    qubit_answer *answer = NULL;
    qubit_error *error = NULL;
    CHECK(qubit_client_get_experiences(client, query, &answer, &error) == QUBIT_OK,
          "fetch %s: %s", context_id, qubit_error_message(error));
    qubit_error_free(error);
    qubit_query_free(query);
    return answer;
}

static void one_slow_worker(qubit_client_options *options)
{
    qubit_client_options_set_queue_capacity(options, 1, NULL);
    qubit_client_options_set_callback_workers(options, 1, NULL);
}

static void test_callback_failures(void)
{
    qubit_client *client = harness_client(base_url, "retail_shop");
    qubit_answer *answer = fetch_visitor(client, "visitor-1");
    const qubit_experience *first = qubit_answer_experience(answer, 0);
    qubit_error *error = NULL;

    expect_failure(qubit_client_send_callback(client, "https://elsewhere.example/v1/callback",
                                              "visitor-1", &error),
                   &error, QUBIT_CALLBACK_REFUSED, 0, "callback to another host");
    expect_failure(qubit_client_shown(client, NULL, "visitor-1", &error), &error,
                   QUBIT_INVALID_ARGUMENT, 0, "NULL experience");
    expect_failure(qubit_client_shown(client, first, NULL, &error), &error,
                   QUBIT_INVALID_ARGUMENT, 0, "NULL context id");

    const char *callback_url = qubit_experience_callback_url(first);
    expect_failure(qubit_client_send_callback_within(client, callback_url, "visitor-1", 0, &error),
                   &error, QUBIT_INVALID_ARGUMENT, 0, "zero callback timeout");

    set_fault_list("[{\"on\":\"callback\",\"kind\":\"latency\",\"ms\":400}]");
    expect_failure(qubit_client_send_callback_within(client, callback_url, "visitor-1", 50, &error),
                   &error, QUBIT_TIMEOUT, 0, "callback past its own deadline");
    bool queued = false;
    CHECK(qubit_client_shown_later(client, first, "visitor-1", &queued, NULL) == QUBIT_OK &&
              queued,
          "callback queued");
    expect_failure(qubit_client_flush(client, 20, &error), &error, QUBIT_TIMEOUT, 0,
                   "flush past its timeout");
    CHECK(qubit_client_flush(client, 5000, NULL) == QUBIT_OK, "flush");
    emulator_reset(base_url);

    CHECK(qubit_client_close(client, 2000, NULL) == QUBIT_OK, "close");
    CHECK(qubit_client_close(client, 2000, NULL) == QUBIT_OK, "close again");
    CHECK(qubit_client_is_closed(client), "closed");
    expect_fetch_failure(client, QUBIT_CLOSED, 0, "fetch after close");
    expect_failure(qubit_client_shown_later(client, first, "visitor-1", &queued, &error), &error,
                   QUBIT_CLOSED, 0, "queue after close");
    qubit_client_free(client);

    client = client_with(one_slow_worker);
    set_fault_list("[{\"on\":\"callback\",\"kind\":\"latency\",\"ms\":300}]");
    int full = 0;
    for (int i = 0; i < 6; i++) {
        qubit_status status = qubit_client_shown_later(client, first, "visitor-1", &queued,
                                                       &error);
        if (status == QUBIT_QUEUE_FULL) {
            full++;
            expect_failure(status, &error, QUBIT_QUEUE_FULL, 0, "queue full");
        }
    }
    CHECK(full >= 1, "a full queue drops callbacks (%d dropped)", full);
    CHECK(qubit_client_close(client, 5000, NULL) == QUBIT_OK, "close drains the queue");
    qubit_client_free(client);
    emulator_reset(base_url);

    qubit_answer_free(answer);
}

static void deduplicating(qubit_client_options *options)
{
    qubit_client_options_set_deduplicate_callbacks(options, 60000, 100, NULL);
}

static void test_deduplication_and_stats(void)
{
    qubit_client *client = client_with(deduplicating);
    qubit_answer *answer = fetch_visitor(client, "visitor-1");
    const qubit_experience *first = qubit_answer_experience(answer, 0);
    bool queued = false;

    qubit_client_shown_later(client, first, "visitor-1", &queued, NULL);
    CHECK(queued, "first exposure queued");
    qubit_client_shown_later(client, first, "visitor-1", &queued, NULL);
    CHECK(!queued, "repeated exposure deduplicated");
    CHECK(qubit_client_flush(client, 5000, NULL) == QUBIT_OK, "flush");

    char *stats = NULL;
    CHECK(qubit_client_stats_json(client, &stats, NULL) == QUBIT_OK, "stats");
    yajl_val json = json_parse(stats, "stats");
    const char *fetches[] = {"fetches", NULL};
    const char *sent[] = {"callbacks_sent", NULL};
    const char *skipped[] = {"callbacks_deduplicated", NULL};
    CHECK(YAJL_GET_INTEGER(yajl_tree_get(json, fetches, yajl_t_number)) == 1, "1 fetch");
    CHECK(YAJL_GET_INTEGER(yajl_tree_get(json, sent, yajl_t_number)) == 1, "1 callback sent");
    CHECK(YAJL_GET_INTEGER(yajl_tree_get(json, skipped, yajl_t_number)) == 1, "1 skipped");
    yajl_tree_free(json);
    qubit_string_free(stats);

    CHECK(strcmp(qubit_client_tracking_id(client), "retail_shop") == 0, "tracking id");
    qubit_client_close(client, 2000, NULL);
    qubit_client_free(client);
    qubit_answer_free(answer);
    emulator_reset(base_url);
}

static void test_null_handles_in_getters(void)
{
    CHECK(qubit_answer_experience_count(NULL) == 0, "count of NULL");
    CHECK(qubit_answer_experience(NULL, 0) == NULL, "experience of NULL");
    CHECK(qubit_answer_context_id(NULL) == NULL, "context id of NULL");
    CHECK(qubit_answer_json(NULL) == NULL, "JSON of NULL");
    CHECK(qubit_answer_source(NULL) == NULL, "source of NULL");
    CHECK(qubit_answer_error(NULL) == NULL, "error of NULL");
    CHECK(qubit_experience_id(NULL) == 0, "id of NULL");
    CHECK(qubit_experience_payload_json(NULL) == NULL, "payload of NULL");
    CHECK(qubit_error_code(NULL) == QUBIT_INVALID_ARGUMENT, "code of NULL");
    CHECK(qubit_error_message(NULL) == NULL, "message of NULL");
    CHECK(qubit_error_status(NULL) == 0, "status of NULL");
    CHECK(!qubit_error_retryable(NULL), "NULL is not retryable");
    CHECK(!qubit_client_is_closed(NULL), "NULL client is not closed");
    CHECK(qubit_client_tracking_id(NULL) == NULL, "tracking id of NULL");

    qubit_client *client = harness_client(base_url, "retail_shop");
    qubit_answer *answer = fetch_visitor(client, "visitor-1");
    size_t count = qubit_answer_experience_count(answer);
    CHECK(qubit_answer_experience(answer, count) == NULL, "index past the end");
    CHECK(qubit_answer_find_experience(answer, 1) == NULL, "unknown id");
    CHECK(qubit_answer_cookie_domain(answer, 99) == NULL, "domain past the end");
    CHECK(qubit_answer_missing_experience_id(answer, 0) == 0, "missing id past the end");
    CHECK(strcmp(qubit_answer_source(answer), "service") == 0, "source service");
    CHECK(qubit_answer_error(answer) == NULL, "no error on a fresh answer");
    qubit_answer_free(answer);
    qubit_client_close(client, 1000, NULL);
    qubit_client_free(client);

    qubit_answer_free(NULL);
    qubit_client_free(NULL);
    qubit_client_options_free(NULL);
    qubit_query_free(NULL);
    qubit_error_free(NULL);
    qubit_string_free(NULL);
}

static void test_helpers(void)
{
    char *text = NULL;
    qubit_error *error = NULL;

    CHECK(qubit_cookie_context_id("a=1; _qubitTracker=visitor-1; b=2", &text, NULL) ==
              QUBIT_OK && text && strcmp(text, "visitor-1") == 0,
          "context id from a cookie header");
    qubit_string_free(text);
    text = (char *)"sentinel";
    CHECK(qubit_cookie_context_id("a=1", &text, NULL) == QUBIT_OK && text == NULL,
          "no cookie writes NULL");
    expect_failure(qubit_cookie_context_id(NULL, &text, &error), &error, QUBIT_INVALID_ARGUMENT,
                   0, "NULL cookie header");

    const char *domains[] = {"shop.example", "shop.example.co.uk"};
    CHECK(qubit_cookie_domain_for_host("www.shop.example.co.uk", domains, 2, &text, NULL) ==
              QUBIT_OK && text && strcmp(text, "shop.example.co.uk") == 0,
          "cookie domain for a subdomain");
    qubit_string_free(text);
    CHECK(qubit_cookie_domain_for_host("elsewhere.example", domains, 2, &text, NULL) ==
              QUBIT_OK && text == NULL,
          "host-only cookie");
    const char *broken[] = {"shop.example", NULL};
    expect_failure(qubit_cookie_domain_for_host("shop.example", broken, 2, &text, &error), &error,
                   QUBIT_INVALID_ARGUMENT, 0, "NULL cookie domain entry");

    CHECK(qubit_cookie_set_header("visitor 1", "shop.example", true, &text, NULL) == QUBIT_OK &&
              strcmp(text, "_qubitTracker=visitor%201; Domain=shop.example; Path=/; "
                           "Max-Age=31536000; SameSite=Lax; Secure") == 0,
          "Set-Cookie header: %s", text);
    qubit_string_free(text);
    CHECK(qubit_cookie_set_header("v", NULL, false, &text, NULL) == QUBIT_OK &&
              strcmp(text, "_qubitTracker=v; Path=/; Max-Age=31536000; SameSite=Lax") == 0,
          "host-only Set-Cookie header");
    qubit_string_free(text);
    CHECK(strcmp(qubit_cookie_name(), "_qubitTracker") == 0, "cookie name");

    CHECK(qubit_context_id_generate(&text, NULL) == QUBIT_OK && is_generated_context_id(text),
          "generated context id");
    qubit_string_free(text);

    expect_failure(qubit_callback_data_decode_url("https://sse.qubit.com/v1/callback", &text,
                                                  &error),
                   &error, QUBIT_INVALID_ARGUMENT, 0, "callback URL without data");
    qubit_client *client = harness_client(base_url, "retail_shop");
    qubit_answer *answer = fetch_visitor(client, "visitor-1");
    const qubit_experience *first = qubit_answer_experience(answer, 0);
    CHECK(qubit_callback_data_decode_url(qubit_experience_callback_url(first), &text, NULL) ==
              QUBIT_OK,
          "callback data decoded");
    yajl_val record = json_parse(text, "callback record");
    yajl_val experience_id = json_member(record, "ExperienceId");
    CHECK(experience_id && (uint64_t)YAJL_GET_INTEGER(experience_id) == qubit_experience_id(first),
          "callback record names the experience");
    yajl_tree_free(record);
    qubit_string_free(text);
    qubit_answer_free(answer);
    qubit_client_close(client, 1000, NULL);
    qubit_client_free(client);

    CHECK(strcmp(qubit_version(), "0.1.0") == 0 || strlen(qubit_version()) > 0, "version");
}

int main(int argc, char **argv)
{
    if (argc != 2) {
        fprintf(stderr, "usage: %s BASE_URL\n", argv[0]);
        return 2;
    }
    base_url = argv[1];
    emulator_reset(base_url);

    test_status_names();
    test_null_and_invalid_arguments();
    test_unusable_settings();
    test_settings();
    test_service_failures();
    test_connection_refused_and_fail_open();
    test_strings_with_a_nul_are_refused();
    test_callback_failures();
    test_deduplication_and_stats();
    test_null_handles_in_getters();
    test_helpers();
    test_log_routing();
    return harness_finish("errors");
}
