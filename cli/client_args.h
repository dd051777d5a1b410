/* Which RPC arguments a command-line client sends as JSON values.
 *
 * fml-cli (like bitcoin-cli) sends every argument as a JSON string except the
 * ones listed in cli/client_args.c, which it parses as JSON (numbers,
 * booleans, arrays, objects).  Amounts stay strings: the server parses
 * decimal strings exactly.  Data only: no I/O, no JSON library.
 */
#ifndef FML_CLI_CLIENT_ARGS_H
#define FML_CLI_CLIENT_ARGS_H

#include <stdbool.h>
#include <stddef.h>

/* True when argument `index` (positional) or `name` (named, when non-NULL)
 * of method is sent as a JSON value rather than a string. */
bool rpc_client_arg_is_json(const char *method, size_t index, const char *name);

#endif
