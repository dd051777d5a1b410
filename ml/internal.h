/* Helpers shared by the files of ml/ and not part of its public face. */
#ifndef FML_ML_INTERNAL_H
#define FML_ML_INTERNAL_H

#include <stddef.h>

/* snprintf into the caller's error buffer (which may be NULL or empty). */
void ml_errf(char *err, size_t errlen, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

#endif
