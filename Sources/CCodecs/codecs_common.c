// Format sniffing, freeing, and error formatting shared by the PNG and JPEG
// codecs.

#include "ccodecs.h"
#include "codecs_internal.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int ccodecs_sniff(const uint8_t *data, size_t size) {
    static const uint8_t png_sig[8] = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'};
    if (data == NULL) return 0;
    if (size >= sizeof png_sig && memcmp(data, png_sig, sizeof png_sig) == 0) return 1;
    // JPEG: SOI marker followed by the start of another marker.
    if (size >= 3 && data[0] == 0xFF && data[1] == 0xD8 && data[2] == 0xFF) return 2;
    return 0;
}

void ccodecs_free(void *p) { free(p); }

void ccodecs_set_error(char *err, size_t errlen, const char *fmt, ...) {
    if (err == NULL || errlen == 0) return;
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(err, errlen, fmt, ap);
    va_end(ap);
    if (n < 0) err[0] = '\0';
    err[errlen - 1] = '\0';
}

int ccodecs_begin_decode(const char *format, const uint8_t *data, size_t size, void *out, size_t out_size,
                         char *err, size_t errlen) {
    if (err != NULL && errlen > 0) err[0] = '\0';
    if (out == NULL) {
        ccodecs_set_error(err, errlen, "%s: no output image", format);
        return 1;
    }
    memset(out, 0, out_size);
    if (data == NULL || size == 0) {
        ccodecs_set_error(err, errlen, "%s: empty input", format);
        return 1;
    }
    return 0;
}
