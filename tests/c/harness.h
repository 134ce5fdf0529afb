/* Shared helpers of the C test programs: checks and their tally, a tiny
 * HTTP/1.1 client for the emulator's control endpoints, and JSON helpers
 * over yajl's tree (numbers kept as their exact text). */

#ifndef QUBIT_TEST_HARNESS_H
#define QUBIT_TEST_HARNESS_H

#include <stddef.h>

#include <yajl/yajl_tree.h>

#include "qubit_experiences.h"

/* Records one check; prints the failure with its place. Returns `ok`. */
#define CHECK(ok, ...) harness_check((ok) != 0, __FILE__, __LINE__, __VA_ARGS__)

int harness_check(int ok, const char *file, int line, const char *format, ...)
    __attribute__((format(printf, 4, 5)));

/* Prints "<suite>: N passed, M failed" and gives the exit code. */
int harness_finish(const char *suite);

/* A response of the emulator: status and a NUL-terminated body. */
typedef struct {
    int status;
    char *body;
} http_response;

/* Sends one request to `base_url` ("http://127.0.0.1:PORT") and reads the
 * whole response. Returns 0 on success. */
int http_request(const char *base_url, const char *method, const char *path,
                 const char *body, http_response *response);
void http_response_free(http_response *response);

/* POST /_emulator/reset, checked. */
void emulator_reset(const char *base_url);

/* GET a control endpoint and parse its JSON body; NULL on failure. */
yajl_val emulator_get_json(const char *base_url, const char *path);

/* A client of the emulator with a fast backoff, or NULL (checked). */
qubit_client *harness_client(const char *base_url, const char *tracking_id);

/* Reads a whole file; NULL on failure. Free with free(). */
char *read_file(const char *path);

/* Parses JSON text; NULL (and a failed check) when it is not JSON. */
yajl_val json_parse(const char *text, const char *what);

/* Whether two JSON values are equal: integers by exact text, other numbers
 * by value (1.5e+300 is 1.5e300), objects regardless of key order. */
int json_equal(yajl_val a, yajl_val b);

/* Serializes a JSON value; free with free(). */
char *json_serialize(yajl_val value);

/* The member `key` of an object, or NULL. */
yajl_val json_member(yajl_val object, const char *key);

/* Whether the text has the generated context id format
 * (11 base-36, dash, 9, dash, 7). */
int is_generated_context_id(const char *text);

#endif
