#define _GNU_SOURCE

#include "harness.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <unistd.h>

#include <yajl/yajl_gen.h>

static int passed;
static int failed;

int harness_check(int ok, const char *file, int line, const char *format, ...)
{
    if (ok) {
        passed++;
        return 1;
    }
    failed++;
    fprintf(stderr, "FAIL %s:%d: ", file, line);
    va_list args;
    va_start(args, format);
    vfprintf(stderr, format, args);
    va_end(args);
    fputc('\n', stderr);
    return 0;
}

int harness_finish(const char *suite)
{
    printf("%s: %d passed, %d failed\n", suite, passed, failed);
    return failed == 0 && passed > 0 ? 0 : 1;
}

/* Appends `n` bytes to a growing buffer. */
static void append(char **buffer, size_t *length, const char *bytes, size_t n)
{
    *buffer = realloc(*buffer, *length + n + 1);
    memcpy(*buffer + *length, bytes, n);
    *length += n;
    (*buffer)[*length] = '\0';
}

/* Decodes a chunked body in place. */
static void dechunk(char *body)
{
    char *read_at = body;
    char *write_at = body;
    for (;;) {
        char *end = NULL;
        unsigned long size = strtoul(read_at, &end, 16);
        char *data = strstr(end, "\r\n");
        if (size == 0 || data == NULL) {
            break;
        }
        data += 2;
        memmove(write_at, data, size);
        write_at += size;
        read_at = data + size + 2;
    }
    *write_at = '\0';
}

static int connect_to(const char *base_url)
{
    const char *prefix = "http://127.0.0.1:";
    if (strncmp(base_url, prefix, strlen(prefix)) != 0) {
        return -1;
    }
    struct sockaddr_in address = {0};
    address.sin_family = AF_INET;
    address.sin_port = htons((unsigned short)atoi(base_url + strlen(prefix)));
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);

    int fd = socket(AF_INET, SOCK_STREAM, 0);
    if (fd >= 0 && connect(fd, (struct sockaddr *)&address, sizeof address) != 0) {
        close(fd);
        fd = -1;
    }
    return fd;
}

int http_request(const char *base_url, const char *method, const char *path,
                 const char *body, http_response *response)
{
    int fd = connect_to(base_url);
    if (fd < 0) {
        return -1;
    }

    char *request = NULL;
    size_t request_length = 0;
    char head[1024];
    int n = snprintf(head, sizeof head,
                     "%s %s HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n"
                     "Content-Type: application/json\r\nContent-Length: %zu\r\n\r\n",
                     method, path, body ? strlen(body) : 0);
    append(&request, &request_length, head, (size_t)n);
    if (body) {
        append(&request, &request_length, body, strlen(body));
    }
    size_t sent = 0;
    while (sent < request_length) {
        ssize_t w = write(fd, request + sent, request_length - sent);
        if (w <= 0) {
            break;
        }
        sent += (size_t)w;
    }
    free(request);

    char *raw = NULL;
    size_t raw_length = 0;
    char chunk[4096];
    ssize_t r;
    while ((r = read(fd, chunk, sizeof chunk)) > 0) {
        append(&raw, &raw_length, chunk, (size_t)r);
    }
    close(fd);

    char *separator = raw ? strstr(raw, "\r\n\r\n") : NULL;
    if (separator == NULL || sscanf(raw, "HTTP/1.1 %d", &response->status) != 1) {
        free(raw);
        return -1;
    }
    *separator = '\0';
    int chunked = strcasestr(raw, "transfer-encoding: chunked") != NULL;
    response->body = strdup(separator + 4);
    free(raw);
    if (chunked) {
        dechunk(response->body);
    }
    return 0;
}

void http_response_free(http_response *response)
{
    free(response->body);
    response->body = NULL;
}

void emulator_reset(const char *base_url)
{
    http_response response = {0};
    int rc = http_request(base_url, "POST", "/_emulator/reset", NULL, &response);
    CHECK(rc == 0 && response.status == 204, "emulator reset (status %d)", response.status);
    http_response_free(&response);
}

yajl_val emulator_get_json(const char *base_url, const char *path)
{
    http_response response = {0};
    yajl_val value = NULL;
    if (CHECK(http_request(base_url, "GET", path, NULL, &response) == 0 &&
                  response.status == 200,
              "GET %s", path)) {
        value = json_parse(response.body, path);
    }
    http_response_free(&response);
    return value;
}

qubit_client *harness_client(const char *base_url, const char *tracking_id)
{
    qubit_client_options *options = NULL;
    qubit_client *client = NULL;
    qubit_error *error = NULL;

    int ok = qubit_client_options_new(tracking_id, &options, &error) == QUBIT_OK &&
             qubit_client_options_set_base_url(options, base_url, &error) == QUBIT_OK &&
             qubit_client_options_set_backoff_ms(options, 1, 5, &error) == QUBIT_OK &&
             qubit_client_new(options, &client, &error) == QUBIT_OK;
    CHECK(ok, "client for %s: %s", tracking_id, qubit_error_message(error));

    qubit_error_free(error);
    qubit_client_options_free(options);
    return client;
}

char *read_file(const char *path)
{
    FILE *file = fopen(path, "rb");
    if (file == NULL) {
        return NULL;
    }
    char *text = NULL;
    size_t length = 0;
    char chunk[4096];
    size_t n;
    while ((n = fread(chunk, 1, sizeof chunk, file)) > 0) {
        append(&text, &length, chunk, n);
    }
    fclose(file);
    return text;
}

yajl_val json_parse(const char *text, const char *what)
{
    char problem[256] = "";
    yajl_val value = text ? yajl_tree_parse(text, problem, sizeof problem) : NULL;
    CHECK(value != NULL, "%s is not JSON: %s", what, problem);
    return value;
}

static int is_integer_text(const char *text)
{
    return strpbrk(text, ".eE") == NULL;
}

int json_equal(yajl_val a, yajl_val b)
{
    if (a == NULL || b == NULL || a->type != b->type) {
        return a == b;
    }
    switch (a->type) {
    case yajl_t_string:
        return strcmp(a->u.string, b->u.string) == 0;
    case yajl_t_number:
        if (is_integer_text(a->u.number.r) && is_integer_text(b->u.number.r)) {
            return strcmp(a->u.number.r, b->u.number.r) == 0;
        }
        return strtod(a->u.number.r, NULL) == strtod(b->u.number.r, NULL);
    case yajl_t_array:
        if (a->u.array.len != b->u.array.len) {
            return 0;
        }
        for (size_t i = 0; i < a->u.array.len; i++) {
            if (!json_equal(a->u.array.values[i], b->u.array.values[i])) {
                return 0;
            }
        }
        return 1;
    case yajl_t_object:
        if (a->u.object.len != b->u.object.len) {
            return 0;
        }
        for (size_t i = 0; i < a->u.object.len; i++) {
            if (!json_equal(a->u.object.values[i], json_member(b, a->u.object.keys[i]))) {
                return 0;
            }
        }
        return 1;
    default:
        return 1;
    }
}

yajl_val json_member(yajl_val object, const char *key)
{
    if (object == NULL || object->type != yajl_t_object) {
        return NULL;
    }
    for (size_t i = 0; i < object->u.object.len; i++) {
        if (strcmp(object->u.object.keys[i], key) == 0) {
            return object->u.object.values[i];
        }
    }
    return NULL;
}

static void generate(yajl_gen gen, yajl_val value)
{
    switch (value->type) {
    case yajl_t_string:
        yajl_gen_string(gen, (const unsigned char *)value->u.string, strlen(value->u.string));
        break;
    case yajl_t_number:
        yajl_gen_number(gen, value->u.number.r, strlen(value->u.number.r));
        break;
    case yajl_t_object:
        yajl_gen_map_open(gen);
        for (size_t i = 0; i < value->u.object.len; i++) {
            const char *key = value->u.object.keys[i];
            yajl_gen_string(gen, (const unsigned char *)key, strlen(key));
            generate(gen, value->u.object.values[i]);
        }
        yajl_gen_map_close(gen);
        break;
    case yajl_t_array:
        yajl_gen_array_open(gen);
        for (size_t i = 0; i < value->u.array.len; i++) {
            generate(gen, value->u.array.values[i]);
        }
        yajl_gen_array_close(gen);
        break;
    case yajl_t_true:
        yajl_gen_bool(gen, 1);
        break;
    case yajl_t_false:
        yajl_gen_bool(gen, 0);
        break;
    default:
        yajl_gen_null(gen);
        break;
    }
}

char *json_serialize(yajl_val value)
{
    yajl_gen gen = yajl_gen_alloc(NULL);
    generate(gen, value);
    const unsigned char *text = NULL;
    size_t length = 0;
    yajl_gen_get_buf(gen, &text, &length);
    char *copy = strndup((const char *)text, length);
    yajl_gen_free(gen);
    return copy;
}

static int base36_run(const char *text, size_t length)
{
    for (size_t i = 0; i < length; i++) {
        char c = text[i];
        if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'z'))) {
            return 0;
        }
    }
    return 1;
}

int is_generated_context_id(const char *text)
{
    return text != NULL && strlen(text) == 29 && base36_run(text, 11) && text[11] == '-' &&
           base36_run(text + 12, 9) && text[21] == '-' && base36_run(text + 22, 7);
}
