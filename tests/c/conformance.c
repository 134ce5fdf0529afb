/* Runs the conformance scenarios (tests/conformance/NNN-*.json) through the C
 * API against a running emulator:
 *
 *     conformance BASE_URL SCENARIO.json...
 *
 * Every scenario's expectations are checked exactly; `http` scenarios,
 * which pin down the emulator rather than a client, are sent as raw
 * requests, and `cookies` scenarios call the cookie helpers. */

#define _POSIX_C_SOURCE 200809L

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "harness.h"

typedef struct {
    const char *name;
    yajl_val scenario;
    yajl_val expect;
    const char *base_url;
} scenario_run;

static const char *text_of(yajl_val value)
{
    return YAJL_IS_STRING(value) ? value->u.string : NULL;
}

static int is_true(yajl_val value)
{
    return value != NULL && YAJL_IS_TRUE(value);
}

/* Installs the scenario's faults, if any. */
static void install_faults(const scenario_run *run)
{
    yajl_val faults = json_member(run->scenario, "faults");
    if (faults == NULL) {
        return;
    }
    char *list = json_serialize(faults);
    size_t size = strlen(list) + 16;
    char *body = malloc(size);
    snprintf(body, size, "{\"faults\":%s}", list);

    http_response response = {0};
    int rc = http_request(run->base_url, "PUT", "/_emulator/faults", body, &response);
    CHECK(rc == 0 && response.status == 204, "%s: faults installed (status %d)", run->name,
          response.status);
    http_response_free(&response);
    free(body);
    free(list);
}

/* A raw 200 answer of the service against `expect`, field by field. */
static void check_raw_answer(const scenario_run *run, const char *body)
{
    yajl_val answer = json_parse(body, "raw answer");
    yajl_val expected = json_member(run->expect, "experiences");
    yajl_val served = json_member(answer, "experiencePayloads");
    if (YAJL_IS_ARRAY(expected)) {
        size_t count = YAJL_IS_ARRAY(served) ? served->u.array.len : 0;
        CHECK(count == expected->u.array.len, "%s: %zu experiences served", run->name, count);
        const char *keys[][2] = {{"id", "id"}, {"variation", "variation"},
                                 {"isControl", "isControl"}, {"payload", "payload"}};
        for (size_t i = 0; i < count && i < expected->u.array.len; i++) {
            for (size_t k = 0; k < 4; k++) {
                CHECK(json_equal(json_member(served->u.array.values[i], keys[k][0]),
                                 json_member(expected->u.array.values[i], keys[k][1])),
                      "%s: served experience %zu %s", run->name, i, keys[k][0]);
            }
        }
    }
    const char *fields[] = {"contextId", "cookieDomains"};
    for (size_t f = 0; f < 2; f++) {
        yajl_val want = json_member(run->expect, fields[f]);
        if (want) {
            CHECK(json_equal(json_member(answer, fields[f]), want), "%s: served %s", run->name,
                  fields[f]);
        }
    }
    yajl_tree_free(answer);
}

/* `http` scenarios: a raw request whose status (and 200 answer) is compared. */
static void run_raw(const scenario_run *run, yajl_val http)
{
    http_response response = {0};
    int rc = http_request(run->base_url, text_of(json_member(http, "method")),
                          text_of(json_member(http, "path")), NULL, &response);
    yajl_val status = json_member(run->expect, "status");
    CHECK(rc == 0 && status != NULL && response.status == YAJL_GET_INTEGER(status),
          "%s: raw request status %d", run->name, response.status);
    if (rc == 0 && response.status == 200) {
        check_raw_answer(run, response.body);
    }
    http_response_free(&response);
}

/* The query the scenario asks for, built through the C API. */
static qubit_query *query_of(const scenario_run *run)
{
    yajl_val spec = json_member(run->scenario, "query");
    qubit_query *query = qubit_query_new();
    qubit_status status = QUBIT_OK;

    const char *context_id = text_of(json_member(spec, "contextId"));
    if (context_id) {
        status |= qubit_query_set_context_id(query, context_id, NULL);
    }
    yajl_val ids = json_member(spec, "experienceIds");
    if (YAJL_IS_ARRAY(ids)) {
        uint64_t values[64];
        size_t count = ids->u.array.len < 64 ? ids->u.array.len : 64;
        for (size_t i = 0; i < count; i++) {
            values[i] = (uint64_t)YAJL_GET_INTEGER(ids->u.array.values[i]);
        }
        status |= qubit_query_set_experience_ids(query, values, count, NULL);
    }
    const char *filter = text_of(json_member(spec, "filter"));
    if (filter) {
        uint32_t value = strcmp(filter, "strict") == 0 ? QUBIT_FILTER_STRICT : QUBIT_FILTER_TOLERANT;
        status |= qubit_query_set_filter(query, value, NULL);
    }
    status |= qubit_query_set_preview(query, is_true(json_member(spec, "preview")), NULL);
    status |= qubit_query_set_ignore_segments(query, is_true(json_member(spec, "ignoreSegments")),
                                              NULL);
    yajl_val variation = json_member(spec, "variation");
    if (variation) {
        status |= qubit_query_set_variation(query, (uint64_t)YAJL_GET_INTEGER(variation), NULL);
    }
    CHECK(status == QUBIT_OK, "%s: query built", run->name);
    return query;
}

static void check_request_query(const scenario_run *run)
{
    const char *expected = text_of(json_member(run->expect, "requestQuery"));
    if (expected == NULL) {
        return;
    }
    yajl_val requests = emulator_get_json(run->base_url, "/_emulator/requests");
    const char *last = NULL;
    for (size_t i = 0; YAJL_IS_ARRAY(requests) && i < requests->u.array.len; i++) {
        yajl_val request = requests->u.array.values[i];
        const char *path = text_of(json_member(request, "path"));
        size_t length = path ? strlen(path) : 0;
        if (length >= 12 && strcmp(path + length - 12, "/experiences") == 0) {
            last = text_of(json_member(request, "query"));
        }
    }
    CHECK(last != NULL && strcmp(last, expected) == 0, "%s: request query %s, expected %s",
          run->name, last ? last : "(none)", expected);
    yajl_tree_free(requests);
}

static void check_error(const scenario_run *run, const qubit_error *error)
{
    const char *expected = text_of(json_member(run->expect, "error"));
    const char *name = qubit_status_name(qubit_error_code(error));
    CHECK(strcmp(name, expected) == 0, "%s: error %s, expected %s (%s)", run->name, name,
          expected, qubit_error_message(error));

    yajl_val status = json_member(run->expect, "status");
    long expected_status = status ? (long)YAJL_GET_INTEGER(status) : 0;
    CHECK(qubit_error_status(error) == expected_status, "%s: HTTP status %u, expected %ld",
          run->name, qubit_error_status(error), expected_status);
}

static void check_experience(const scenario_run *run, const qubit_experience *experience,
                             yajl_val expected)
{
    uint64_t id = (uint64_t)YAJL_GET_INTEGER(json_member(expected, "id"));
    uint64_t variation = (uint64_t)YAJL_GET_INTEGER(json_member(expected, "variation"));
    int is_control = is_true(json_member(expected, "isControl"));

    CHECK(qubit_experience_id(experience) == id, "%s: experience id %llu, expected %llu",
          run->name, (unsigned long long)qubit_experience_id(experience),
          (unsigned long long)id);
    CHECK(qubit_experience_variation_master_id(experience) == variation,
          "%s: experience %llu variation %llu, expected %llu", run->name,
          (unsigned long long)id,
          (unsigned long long)qubit_experience_variation_master_id(experience),
          (unsigned long long)variation);
    CHECK(qubit_experience_is_control(experience) == is_control,
          "%s: experience %llu isControl", run->name, (unsigned long long)id);

    const char *payload = qubit_experience_payload_json(experience);
    const char *exact = text_of(json_member(expected, "payloadJson"));
    if (exact) {
        CHECK(strcmp(payload, exact) == 0, "%s: payload text of %llu is %s", run->name,
              (unsigned long long)id, payload);
    }
    yajl_val actual = json_parse(payload, "payload");
    CHECK(json_equal(actual, json_member(expected, "payload")), "%s: payload of %llu is %s",
          run->name, (unsigned long long)id, payload);
    yajl_tree_free(actual);
}

static void check_answer(const scenario_run *run, const qubit_answer *answer)
{
    yajl_val experiences = json_member(run->expect, "experiences");
    if (YAJL_IS_ARRAY(experiences)) {
        size_t count = qubit_answer_experience_count(answer);
        CHECK(count == experiences->u.array.len, "%s: %zu experiences, expected %zu", run->name,
              count, experiences->u.array.len);
        for (size_t i = 0; i < count && i < experiences->u.array.len; i++) {
            check_experience(run, qubit_answer_experience(answer, i),
                             experiences->u.array.values[i]);
        }
    }

    const char *context_id = qubit_answer_context_id(answer);
    const char *expected_id = text_of(json_member(run->expect, "contextId"));
    if (expected_id) {
        CHECK(strcmp(context_id, expected_id) == 0, "%s: context id %s", run->name, context_id);
        CHECK(!qubit_answer_context_id_generated(answer), "%s: id not generated", run->name);
    }
    yajl_val generated = json_member(run->expect, "contextIdGenerated");
    if (generated) {
        CHECK(qubit_answer_context_id_generated(answer) == is_true(generated),
              "%s: id generated is %d", run->name, qubit_answer_context_id_generated(answer));
    }
    if (is_true(generated)) {
        CHECK(is_generated_context_id(context_id), "%s: generated id %s", run->name, context_id);
    }

    const char *source = text_of(json_member(run->expect, "source"));
    if (source) {
        CHECK(strcmp(qubit_answer_source(answer), source) == 0, "%s: source %s", run->name,
              qubit_answer_source(answer));
    }

    yajl_val domains = json_member(run->expect, "cookieDomains");
    if (YAJL_IS_ARRAY(domains)) {
        size_t count = qubit_answer_cookie_domain_count(answer);
        CHECK(count == domains->u.array.len, "%s: %zu cookie domains", run->name, count);
        for (size_t i = 0; i < count && i < domains->u.array.len; i++) {
            CHECK(strcmp(qubit_answer_cookie_domain(answer, i),
                         text_of(domains->u.array.values[i])) == 0,
                  "%s: cookie domain %zu", run->name, i);
        }
    }

    yajl_val missing = json_member(run->expect, "missingExperienceIds");
    if (YAJL_IS_ARRAY(missing)) {
        size_t count = qubit_answer_missing_experience_id_count(answer);
        CHECK(count == missing->u.array.len, "%s: %zu missing ids", run->name, count);
        for (size_t i = 0; i < count && i < missing->u.array.len; i++) {
            CHECK(qubit_answer_missing_experience_id(answer, i) ==
                      (uint64_t)YAJL_GET_INTEGER(missing->u.array.values[i]),
                  "%s: missing id %zu", run->name, i);
        }
    }

    /* The whole answer as JSON agrees with the getters. */
    yajl_val whole = json_parse(qubit_answer_json(answer), "answer JSON");
    yajl_val payloads = json_member(whole, "experiencePayloads");
    CHECK(YAJL_IS_ARRAY(payloads) &&
              payloads->u.array.len == qubit_answer_experience_count(answer) &&
              strcmp(text_of(json_member(whole, "contextId")), context_id) == 0,
          "%s: answer JSON matches the answer", run->name);
    yajl_tree_free(whole);
}

static void send_callbacks(const scenario_run *run, const qubit_client *client,
                           const qubit_answer *answer)
{
    yajl_val shown = json_member(run->scenario, "shown");
    for (size_t i = 0; YAJL_IS_ARRAY(shown) && i < shown->u.array.len; i++) {
        uint64_t id = (uint64_t)YAJL_GET_INTEGER(shown->u.array.values[i]);
        const qubit_experience *experience = qubit_answer_find_experience(answer, id);
        qubit_error *error = NULL;
        qubit_status status = qubit_client_shown(client, experience,
                                                 qubit_answer_context_id(answer), &error);
        CHECK(status == QUBIT_OK, "%s: shown %llu: %s", run->name, (unsigned long long)id,
              qubit_error_message(error));
        qubit_error_free(error);
    }
}

static void check_callbacks(const scenario_run *run)
{
    yajl_val expected = json_member(run->scenario, "expectCallbacks");
    if (!YAJL_IS_ARRAY(expected)) {
        return;
    }
    yajl_val actual = emulator_get_json(run->base_url, "/_emulator/callbacks");
    size_t count = YAJL_IS_ARRAY(actual) ? actual->u.array.len : 0;
    CHECK(count == expected->u.array.len, "%s: %zu callbacks, expected %zu", run->name, count,
          expected->u.array.len);
    for (size_t i = 0; i < count && i < expected->u.array.len; i++) {
        yajl_val want = expected->u.array.values[i];
        yajl_val got = actual->u.array.values[i];
        const char *keys[] = {"body", "contentType", "decision"};
        for (size_t k = 0; k < 3; k++) {
            if (json_member(want, keys[k])) {
                CHECK(json_equal(json_member(got, keys[k]), json_member(want, keys[k])),
                      "%s: callback %zu %s", run->name, i, keys[k]);
            }
        }
    }
    yajl_tree_free(actual);
}

/* `cookies` scenarios: each check calls the helper it names. */
static void run_cookie_helpers(const scenario_run *run, yajl_val checks)
{
    for (size_t i = 0; YAJL_IS_ARRAY(checks) && i < checks->u.array.len; i++) {
        yajl_val check = checks->u.array.values[i];
        const char *function = text_of(json_member(check, "function"));
        char *got = NULL;
        qubit_status status = QUBIT_INTERNAL;

        if (strcmp(function, "contextIdFromCookieHeader") == 0) {
            status = qubit_cookie_context_id(text_of(json_member(check, "header")), &got, NULL);
        } else if (strcmp(function, "cookieDomainForHost") == 0) {
            yajl_val list = json_member(check, "cookieDomains");
            const char *domains[32];
            size_t count = 0;
            for (; YAJL_IS_ARRAY(list) && count < list->u.array.len && count < 32; count++) {
                domains[count] = text_of(list->u.array.values[count]);
            }
            status = qubit_cookie_domain_for_host(text_of(json_member(check, "host")), domains,
                                                  count, &got, NULL);
        } else if (strcmp(function, "setCookieHeader") == 0) {
            status = qubit_cookie_set_header(text_of(json_member(check, "contextId")),
                                             text_of(json_member(check, "domain")),
                                             is_true(json_member(check, "secure")), &got, NULL);
        }

        const char *want = text_of(json_member(check, "expect"));
        CHECK(status == QUBIT_OK &&
                  ((want == NULL && got == NULL) || (want && got && strcmp(want, got) == 0)),
              "%s: check %zu (%s) gave %s", run->name, i, function, got ? got : "NULL");
        qubit_string_free(got);
    }
}

/* The tracking id the scenario configures, or the fixture's. */
static char *tracking_id_of(const scenario_run *run)
{
    const char *chosen = text_of(json_member(run->scenario, "trackingId"));
    if (chosen) {
        return strdup(chosen);
    }
    yajl_val health = emulator_get_json(run->base_url, "/_emulator/health");
    const char *fixture_id = text_of(json_member(health, "trackingId"));
    char *copy = strdup(fixture_id ? fixture_id : "");
    yajl_tree_free(health);
    return copy;
}

static void run_client(const scenario_run *run)
{
    char *tracking_id = tracking_id_of(run);
    qubit_client *client = harness_client(run->base_url, tracking_id);
    qubit_query *query = query_of(run);
    qubit_answer *answer = NULL;
    qubit_error *error = NULL;
    int fail_open = is_true(json_member(run->scenario, "failOpen"));

    qubit_status status =
        fail_open ? qubit_client_get_experiences_fail_open(client, query, &answer, &error)
                  : qubit_client_get_experiences(client, query, &answer, &error);
    check_request_query(run);

    if (json_member(run->expect, "error")) {
        CHECK(fail_open ? status == QUBIT_OK : status != QUBIT_OK,
              "%s: the call's status %s", run->name, qubit_status_name(status));
        check_error(run, fail_open ? qubit_answer_error(answer) : error);
        if (fail_open) {
            check_answer(run, answer);
        }
    } else if (CHECK(status == QUBIT_OK, "%s: fetch failed: %s", run->name,
                     qubit_error_message(error))) {
        check_answer(run, answer);
        send_callbacks(run, client, answer);
        check_callbacks(run);
    }

    qubit_error_free(error);
    qubit_answer_free(answer);
    qubit_query_free(query);
    CHECK(qubit_client_close(client, 2000, NULL) == QUBIT_OK, "%s: close", run->name);
    qubit_client_free(client);
    free(tracking_id);
}

int main(int argc, char **argv)
{
    if (argc < 3) {
        fprintf(stderr, "usage: %s BASE_URL SCENARIO.json...\n", argv[0]);
        return 2;
    }
    for (int i = 2; i < argc; i++) {
        char *text = read_file(argv[i]);
        scenario_run run = {argv[i], json_parse(text, argv[i]), NULL, argv[1]};
        run.expect = json_member(run.scenario, "expect");
        free(text);

        yajl_val cookies = json_member(run.scenario, "cookies");
        yajl_val http = json_member(run.scenario, "http");
        if (cookies) {
            run_cookie_helpers(&run, cookies);
        } else {
            emulator_reset(run.base_url);
            install_faults(&run);
            if (http) {
                run_raw(&run, http);
            } else {
                run_client(&run);
            }
        }
        yajl_tree_free(run.scenario);
    }
    return harness_finish("conformance");
}
