/* One client shared by 8 threads, each fetching for its own visitors and
 * queueing their exposures:
 *
 *     threads BASE_URL
 *
 * Every fetch must answer the visitor it asked for, and the counters and
 * the emulator must agree on what was done. */

#define _GNU_SOURCE

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "harness.h"

#define THREADS 8
#define FETCHES_PER_THREAD 25

typedef struct {
    const qubit_client *client;
    int index;
    int failures;
    int queued;
} worker;

static void *work(void *argument)
{
    worker *self = argument;
    for (int i = 0; i < FETCHES_PER_THREAD; i++) {
        char context_id[64];
        snprintf(context_id, sizeof context_id, "thread-%d-visitor-%d", self->index, i);
        qubit_query *query = qubit_query_new();
        qubit_query_set_context_id(query, context_id, NULL);
        qubit_answer *answer = NULL;

        if (qubit_client_get_experiences(self->client, query, &answer, NULL) != QUBIT_OK ||
            strcmp(qubit_answer_context_id(answer), context_id) != 0) {
            self->failures++;
        } else if (qubit_answer_experience_count(answer) > 0) {
            bool queued = false;
            const qubit_experience *first = qubit_answer_experience(answer, 0);
            if (qubit_client_shown_later(self->client, first, context_id, &queued, NULL) ==
                    QUBIT_OK &&
                queued) {
                self->queued++;
            }
        }
        qubit_answer_free(answer);
        qubit_query_free(query);
    }
    return NULL;
}

static long long stat_of(yajl_val stats, const char *name)
{
    const char *path[] = {name, NULL};
    return YAJL_GET_INTEGER(yajl_tree_get(stats, path, yajl_t_number));
}

int main(int argc, char **argv)
{
    if (argc != 2) {
        fprintf(stderr, "usage: %s BASE_URL\n", argv[0]);
        return 2;
    }
    emulator_reset(argv[1]);
    qubit_client *client = harness_client(argv[1], "retail_shop");

    pthread_t threads[THREADS];
    worker workers[THREADS];
    for (int i = 0; i < THREADS; i++) {
        workers[i] = (worker){client, i, 0, 0};
        CHECK(pthread_create(&threads[i], NULL, work, &workers[i]) == 0, "thread %d started", i);
    }
    int queued = 0;
    for (int i = 0; i < THREADS; i++) {
        pthread_join(threads[i], NULL);
        CHECK(workers[i].failures == 0, "thread %d: %d failed fetches", i, workers[i].failures);
        queued += workers[i].queued;
    }
    CHECK(qubit_client_close(client, 10000, NULL) == QUBIT_OK, "close delivers the queue");

    char *text = NULL;
    qubit_client_stats_json(client, &text, NULL);
    yajl_val stats = json_parse(text, "stats");
    CHECK(stat_of(stats, "fetches") == THREADS * FETCHES_PER_THREAD, "fetches counted: %lld",
          stat_of(stats, "fetches"));
    CHECK(stat_of(stats, "callbacks_sent") == queued, "callbacks sent: %lld of %d",
          stat_of(stats, "callbacks_sent"), queued);
    yajl_tree_free(stats);
    qubit_string_free(text);

    yajl_val callbacks = emulator_get_json(argv[1], "/_emulator/callbacks");
    CHECK(YAJL_IS_ARRAY(callbacks) && (int)callbacks->u.array.len == queued,
          "the emulator received every callback");
    yajl_tree_free(callbacks);

    qubit_client_free(client);
    return harness_finish("threads");
}
