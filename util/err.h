/* The error message of a failing call: functions that report failure as
 * false fill a caller's buffer (char *err, size_t errlen) with a message for
 * the user.
 */
#ifndef FML_UTIL_ERR_H
#define FML_UTIL_ERR_H

#include <stdbool.h>
#include <stddef.h>

/* Formats the message into err (nothing when err is NULL or errlen 0) and
 * returns false, so that a failing path reads
 * `return err_setf(err, errlen, "...", ...);`. */
bool err_setf(char *err, size_t errlen, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

#endif
