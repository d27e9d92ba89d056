#ifndef IJEPA_CCODECS_INTERNAL_H
#define IJEPA_CCODECS_INTERNAL_H

// Helpers shared by the codec implementations; not part of the public API.

#include <stddef.h>
#include <stdint.h>

// Largest pixel count (width * height) a decoder will allocate for. A corrupt
// header can claim up to 2^31 x 2^31 pixels; refuse anything beyond this
// instead of attempting a giant allocation.
#define CCODECS_MAX_PIXELS ((uint64_t)1 << 28)

// Writes a printf-style message into err (when err is non-NULL and errlen > 0),
// always NUL-terminated, truncated to errlen - 1 bytes.
void ccodecs_set_error(char *err, size_t errlen, const char *fmt, ...)
#if defined(__GNUC__) || defined(__clang__)
    __attribute__((format(printf, 3, 4)))
#endif
    ;

// The checks every decoder starts with: clears err, zeroes *out, and
// rejects a missing output or empty input. Returns non-zero on failure, with
// the message prefixed by `format` ("PNG", "JPEG").
int ccodecs_begin_decode(const char *format, const uint8_t *data, size_t size, void *out, size_t out_size,
                         char *err, size_t errlen);

#endif
