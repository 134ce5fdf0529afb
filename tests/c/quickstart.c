/* Fetch one visitor's experiences, use their payloads, report exposures.
 * Usage: quickstart BASE_URL TRACKING_ID CONTEXT_ID */
#include <stdio.h>

#include <qubit_experiences.h>

int main(int argc, char **argv)
{
    if (argc != 4) {
        fprintf(stderr, "usage: %s BASE_URL TRACKING_ID CONTEXT_ID\n", argv[0]);
        return 2;
    }
    qubit_client_options *options = NULL;
    qubit_client *client = NULL;
    qubit_error *error = NULL;

    /* One client per process, shared by every thread. */
    if (qubit_client_options_new(argv[2], &options, &error) != QUBIT_OK ||
        qubit_client_options_set_base_url(options, argv[1], &error) != QUBIT_OK ||
        qubit_client_new(options, &client, &error) != QUBIT_OK) {
        fprintf(stderr, "setup failed: %s\n", qubit_error_message(error));
        qubit_error_free(error);
        qubit_client_options_free(options);
        return 1;
    }
    qubit_client_options_free(options);

    qubit_query *query = qubit_query_new();
    qubit_query_set_context_id(query, argv[3], NULL);

    /* Fail-open: on any error the answer is empty and the page renders its
     * defaults; qubit_answer_error says why. */
    qubit_answer *answer = NULL;
    qubit_client_get_experiences_fail_open(client, query, &answer, NULL);
    for (size_t i = 0; i < qubit_answer_experience_count(answer); i++) {
        const qubit_experience *experience = qubit_answer_experience(answer, i);
        printf("experience %llu: %s\n", (unsigned long long)qubit_experience_id(experience),
               qubit_experience_payload_json(experience));
        qubit_client_shown_later(client, experience, qubit_answer_context_id(answer), NULL,
                                 NULL);
    }

    qubit_answer_free(answer);
    qubit_query_free(query);
    qubit_client_close(client, 2000, NULL); /* delivers queued callbacks */
    qubit_client_free(client);
    return 0;
}
