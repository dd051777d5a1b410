/* Error messages into a caller's buffer (see err.h). */
#include "util/err.h"

#include <stdarg.h>
#include <stdio.h>

bool err_setf(char *err, size_t errlen, const char *fmt, ...)
{
    if (!err || errlen == 0)
        return false;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err, errlen, fmt, ap);
    va_end(ap);
    return false;
}
