// The header is usable from C++: included, and every kind of declaration
// used, in a translation unit compiled with -Wall -Wextra -Werror.

#include "qubit_experiences.h"

#include <cstdio>

int main()
{
    qubit_status status = QUBIT_OK;
    qubit_client_options *options = nullptr;
    qubit_error *error = nullptr;

    status = qubit_client_options_new("retail_shop", &options, &error);
    qubit_query *query = qubit_query_new();
    qubit_query_set_filter(query, QUBIT_FILTER_STRICT, nullptr);

    std::printf("%s %s %s\n", qubit_version(), qubit_status_name(status),
                qubit_status_name(QUBIT_CALLBACK_REFUSED));

    qubit_query_free(query);
    qubit_client_options_free(options);
    qubit_error_free(error);
    return status == QUBIT_OK ? 0 : 1;
}
