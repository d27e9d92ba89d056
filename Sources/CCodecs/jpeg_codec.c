// JPEG decode/encode over libjpeg(-turbo), from and to memory.
//
// libjpeg's default error_exit prints and calls exit(); ours formats the
// message into the caller's buffer and longjmps back to a setjmp point inside
// a small *_run function. Warnings (msg_level -1, e.g. "Premature end of JPEG
// file" for truncated data, "Corrupt JPEG data: ..." for bad entropy data) are
// counted, and a decode that produced any is reported as a failure with the
// first warning's text. Everything that must survive the longjmp lives in a
// state struct owned by the public entry point.

#include "ccodecs.h"
#include "codecs_internal.h"

#include <limits.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jpeglib.h>
#include <jerror.h>

typedef struct {
    struct jpeg_error_mgr pub;  // must be first: libjpeg sees a jpeg_error_mgr*
    jmp_buf jump;
    char *err;
    size_t errlen;
    const char *prefix;
    int warnings;
    char first_warning[JMSG_LENGTH_MAX];
} jpeg_error_state;

static void jpeg_error_exit_fn(j_common_ptr cinfo) {
    jpeg_error_state *es = (jpeg_error_state *)cinfo->err;
    char msg[JMSG_LENGTH_MAX];
    msg[0] = '\0';
    (*cinfo->err->format_message)(cinfo, msg);
    ccodecs_set_error(es->err, es->errlen, "%s: %s", es->prefix, msg);
    longjmp(es->jump, 1);
}

// Warnings that mean pixels are missing (libjpeg fills them with gray and
// carries on). Others, such as "extraneous bytes before marker", are common
// in real photo collections (ImageNet has them) and decode correctly, as in
// PIL; those are tolerated.
static int jpeg_warning_loses_data(int code) {
    switch (code) {
    case JWRN_JPEG_EOF:
    case JWRN_HIT_MARKER:
    case JWRN_MUST_RESYNC:
    case JWRN_HUFF_BAD_CODE:
        return 1;
    default:
        return 0;
    }
}

static void jpeg_emit_message_fn(j_common_ptr cinfo, int msg_level) {
    jpeg_error_state *es = (jpeg_error_state *)cinfo->err;
    if (msg_level < 0 && jpeg_warning_loses_data(cinfo->err->msg_code)) {
        if (es->warnings == 0) {
            es->first_warning[0] = '\0';
            (*cinfo->err->format_message)(cinfo, es->first_warning);
        }
        es->warnings++;
        cinfo->err->num_warnings++;
    }
    // Trace messages (msg_level >= 0) are ignored.
}

static void jpeg_output_message_fn(j_common_ptr cinfo) {
    // Never print to stderr.
    (void)cinfo;
}

static void jpeg_error_init(jpeg_error_state *es, char *err, size_t errlen, const char *prefix) {
    jpeg_std_error(&es->pub);
    es->pub.error_exit = jpeg_error_exit_fn;
    es->pub.emit_message = jpeg_emit_message_fn;
    es->pub.output_message = jpeg_output_message_fn;
    es->err = err;
    es->errlen = errlen;
    es->prefix = prefix;
    es->warnings = 0;
    es->first_warning[0] = '\0';
}

static int jpeg_report_warnings(jpeg_error_state *es) {
    if (es->warnings == 0) return 0;
    ccodecs_set_error(es->err, es->errlen, "%s: %s", es->prefix,
                      es->first_warning[0] ? es->first_warning : "corrupt data");
    return 1;
}

// ---------------------------------------------------------------------------
// Decode

typedef struct {
    jpeg_error_state es;
    struct jpeg_decompress_struct cinfo;
    int created;
    uint8_t *pixels;   // final output (1 or 3 channels)
    uint8_t *scratch;  // one CMYK scanline when converting
} jpeg_decode_state;

// x * y / 255, rounded to nearest, for x, y in 0...255.
static inline uint8_t mul_div_255(unsigned x, unsigned y) {
    unsigned t = x * y + 128;
    return (uint8_t)((t + (t >> 8)) >> 8);
}

static int jpeg_decode_run(jpeg_decode_state *st, const uint8_t *data, size_t size,
                           ccodecs_image *out) {
    if (setjmp(st->es.jump)) return 1;

    struct jpeg_decompress_struct *cinfo = &st->cinfo;
    jpeg_create_decompress(cinfo);
    st->created = 1;
    jpeg_mem_src(cinfo, (const unsigned char *)data, (unsigned long)size);

    if (jpeg_read_header(cinfo, TRUE) != JPEG_HEADER_OK) {
        ccodecs_set_error(st->es.err, st->es.errlen, "JPEG: no image in datastream");
        return 1;
    }
    if (jpeg_report_warnings(&st->es)) return 1;

    uint64_t width = cinfo->image_width, height = cinfo->image_height;
    if (width == 0 || height == 0) {
        ccodecs_set_error(st->es.err, st->es.errlen, "JPEG: invalid dimensions %llux%llu",
                          (unsigned long long)width, (unsigned long long)height);
        return 1;
    }
    if (width * height > CCODECS_MAX_PIXELS) {
        ccodecs_set_error(st->es.err, st->es.errlen, "JPEG: image too large (%llux%llu)",
                          (unsigned long long)width, (unsigned long long)height);
        return 1;
    }

    int cmyk = 0;
    switch (cinfo->jpeg_color_space) {
    case JCS_GRAYSCALE: cinfo->out_color_space = JCS_GRAYSCALE; break;
    case JCS_CMYK:
    case JCS_YCCK:
        cinfo->out_color_space = JCS_CMYK;
        cmyk = 1;
        break;
    default:
        // YCbCr, RGB (and anything else libjpeg can convert) to RGB.
        cinfo->out_color_space = JCS_RGB;
        break;
    }

    jpeg_start_decompress(cinfo);
    int components = cinfo->output_components;
    int out_channels = cmyk ? 3 : components;
    if ((cmyk && components != 4) || (!cmyk && components != 1 && components != 3) ||
        cinfo->output_width != width || cinfo->output_height != height) {
        ccodecs_set_error(st->es.err, st->es.errlen,
                          "JPEG: unexpected output layout (%d components)", components);
        return 1;
    }

    size_t stride = (size_t)width * (size_t)out_channels;
    st->pixels = (uint8_t *)malloc(stride * (size_t)height);
    if (cmyk) st->scratch = (uint8_t *)malloc((size_t)width * 4);
    if (st->pixels == NULL || (cmyk && st->scratch == NULL)) {
        ccodecs_set_error(st->es.err, st->es.errlen, "JPEG: out of memory (%llux%llu)",
                          (unsigned long long)width, (unsigned long long)height);
        return 1;
    }

    // Adobe CMYK JPEGs (Photoshop) store inverted values: 255 means no ink.
    // Without the Adobe marker, assume plain CMYK (255 means full ink).
    int inverted = cinfo->saw_Adobe_marker;
    while (cinfo->output_scanline < cinfo->output_height) {
        size_t y = cinfo->output_scanline;
        JSAMPROW row = cmyk ? st->scratch : st->pixels + y * stride;
        if (jpeg_read_scanlines(cinfo, &row, 1) != 1) {
            ccodecs_set_error(st->es.err, st->es.errlen, "JPEG: could not read scanline %zu", y);
            return 1;
        }
        if (cmyk) {
            uint8_t *dst = st->pixels + y * stride;
            for (size_t x = 0; x < (size_t)width; x++) {
                unsigned c = row[4 * x], m = row[4 * x + 1], yy = row[4 * x + 2],
                         k = row[4 * x + 3];
                if (!inverted) {
                    c = 255 - c;
                    m = 255 - m;
                    yy = 255 - yy;
                    k = 255 - k;
                }
                dst[3 * x] = mul_div_255(c, k);
                dst[3 * x + 1] = mul_div_255(m, k);
                dst[3 * x + 2] = mul_div_255(yy, k);
            }
        }
    }
    jpeg_finish_decompress(cinfo);
    if (jpeg_report_warnings(&st->es)) return 1;

    out->pixels = st->pixels;
    out->width = (int32_t)width;
    out->height = (int32_t)height;
    out->channels = out_channels;
    st->pixels = NULL;
    return 0;
}

int ccodecs_jpeg_decode(const uint8_t *data, size_t size, ccodecs_image *out, char *err,
                        size_t errlen) {
    if (ccodecs_begin_decode("JPEG", data, size, out, sizeof *out, err, errlen)) return 1;
    if ((unsigned long long)size > (unsigned long long)ULONG_MAX) {
        ccodecs_set_error(err, errlen, "JPEG: input too large");
        return 1;
    }

    jpeg_decode_state *st = (jpeg_decode_state *)calloc(1, sizeof *st);
    if (st == NULL) {
        ccodecs_set_error(err, errlen, "JPEG: out of memory");
        return 1;
    }
    jpeg_error_init(&st->es, err, errlen, "JPEG");
    st->cinfo.err = &st->es.pub;

    int rc = jpeg_decode_run(st, data, size, out);

    if (st->created) jpeg_destroy_decompress(&st->cinfo);
    free(st->pixels);
    free(st->scratch);
    free(st);
    if (rc != 0) {
        memset(out, 0, sizeof *out);
        if (err != NULL && errlen > 0 && err[0] == '\0') {
            ccodecs_set_error(err, errlen, "JPEG: decode failed");
        }
    }
    return rc;
}

// ---------------------------------------------------------------------------
// Encode

typedef struct {
    jpeg_error_state es;
    struct jpeg_compress_struct cinfo;
    struct jpeg_destination_mgr dest;
    int created;
    // Growing malloc'ed output buffer. A custom destination is used instead of
    // jpeg_mem_dest because the latter frees and replaces its buffer as it
    // grows without telling the caller, so the caller cannot free it safely
    // after an error.
    uint8_t *buffer;
    size_t capacity;
    size_t size;
} jpeg_encode_state;

static void jpeg_dest_init(j_compress_ptr cinfo) {
    jpeg_encode_state *st = (jpeg_encode_state *)cinfo->client_data;
    if (st->buffer == NULL) {
        size_t cap = 1 << 16;
        st->buffer = (uint8_t *)malloc(cap);
        if (st->buffer == NULL) ERREXIT1(cinfo, JERR_OUT_OF_MEMORY, 0);
        st->capacity = cap;
    }
    st->size = 0;
    st->dest.next_output_byte = st->buffer;
    st->dest.free_in_buffer = st->capacity;
}

// Called when the whole buffer is full.
static boolean jpeg_dest_empty(j_compress_ptr cinfo) {
    jpeg_encode_state *st = (jpeg_encode_state *)cinfo->client_data;
    size_t used = st->capacity;
    if (used > SIZE_MAX / 2) ERREXIT1(cinfo, JERR_OUT_OF_MEMORY, 1);
    size_t cap = used * 2;
    uint8_t *grown = (uint8_t *)realloc(st->buffer, cap);
    if (grown == NULL) ERREXIT1(cinfo, JERR_OUT_OF_MEMORY, 1);
    st->buffer = grown;
    st->capacity = cap;
    st->dest.next_output_byte = grown + used;
    st->dest.free_in_buffer = cap - used;
    return TRUE;
}

static void jpeg_dest_term(j_compress_ptr cinfo) {
    jpeg_encode_state *st = (jpeg_encode_state *)cinfo->client_data;
    st->size = st->capacity - st->dest.free_in_buffer;
}

static int jpeg_encode_run(jpeg_encode_state *st, int32_t width, int32_t height,
                           int32_t channels, const uint8_t *pixels, int quality) {
    if (setjmp(st->es.jump)) return 1;

    struct jpeg_compress_struct *cinfo = &st->cinfo;
    jpeg_create_compress(cinfo);
    st->created = 1;
    cinfo->client_data = st;
    st->dest.init_destination = jpeg_dest_init;
    st->dest.empty_output_buffer = jpeg_dest_empty;
    st->dest.term_destination = jpeg_dest_term;
    cinfo->dest = &st->dest;

    cinfo->image_width = (JDIMENSION)width;
    cinfo->image_height = (JDIMENSION)height;
    cinfo->input_components = channels;
    cinfo->in_color_space = channels == 1 ? JCS_GRAYSCALE : JCS_RGB;
    jpeg_set_defaults(cinfo);
    jpeg_set_quality(cinfo, quality, TRUE);
    jpeg_start_compress(cinfo, TRUE);

    size_t stride = (size_t)width * (size_t)channels;
    while (cinfo->next_scanline < cinfo->image_height) {
        JSAMPROW row = (JSAMPROW)(pixels + (size_t)cinfo->next_scanline * stride);
        jpeg_write_scanlines(cinfo, &row, 1);
    }
    jpeg_finish_compress(cinfo);
    return 0;
}

int ccodecs_jpeg_encode(int32_t width, int32_t height, int32_t channels, const uint8_t *pixels,
                        int quality, uint8_t **out, size_t *out_size, char *err,
                        size_t errlen) {
    if (err != NULL && errlen > 0) err[0] = '\0';
    if (out == NULL || out_size == NULL) {
        ccodecs_set_error(err, errlen, "JPEG encode: no output pointer");
        return 1;
    }
    *out = NULL;
    *out_size = 0;
    if (width <= 0 || height <= 0 || width > JPEG_MAX_DIMENSION || height > JPEG_MAX_DIMENSION) {
        ccodecs_set_error(err, errlen, "JPEG encode: invalid dimensions %dx%d", (int)width,
                          (int)height);
        return 1;
    }
    if ((uint64_t)width * (uint64_t)height > CCODECS_MAX_PIXELS) {
        ccodecs_set_error(err, errlen, "JPEG encode: image too large (%dx%d)", (int)width,
                          (int)height);
        return 1;
    }
    if (channels != 1 && channels != 3) {
        ccodecs_set_error(err, errlen, "JPEG encode: channels must be 1 or 3, got %d",
                          (int)channels);
        return 1;
    }
    if (pixels == NULL) {
        ccodecs_set_error(err, errlen, "JPEG encode: no pixels");
        return 1;
    }
    if (quality < 1) quality = 1;
    if (quality > 100) quality = 100;

    jpeg_encode_state *st = (jpeg_encode_state *)calloc(1, sizeof *st);
    if (st == NULL) {
        ccodecs_set_error(err, errlen, "JPEG encode: out of memory");
        return 1;
    }
    jpeg_error_init(&st->es, err, errlen, "JPEG encode");
    st->cinfo.err = &st->es.pub;

    int rc = jpeg_encode_run(st, width, height, channels, pixels, quality);
    if (rc == 0 && jpeg_report_warnings(&st->es)) rc = 1;

    if (st->created) jpeg_destroy_compress(&st->cinfo);
    if (rc == 0) {
        // malloc'ed; the caller frees it with ccodecs_free (free).
        *out = st->buffer;
        *out_size = st->size;
    } else {
        free(st->buffer);
        if (err != NULL && errlen > 0 && err[0] == '\0') {
            ccodecs_set_error(err, errlen, "JPEG encode: failed");
        }
    }
    free(st);
    return rc;
}

// ---------------------------------------------------------------------------
// Version

#define CCODECS_STR2(x) #x
#define CCODECS_STR(x) CCODECS_STR2(x)

const char *ccodecs_jpeg_version(void) {
#ifdef LIBJPEG_TURBO_VERSION
    return "libjpeg-turbo " CCODECS_STR(LIBJPEG_TURBO_VERSION) " (libjpeg API "
        CCODECS_STR(JPEG_LIB_VERSION) ")";
#else
    return "libjpeg " CCODECS_STR(JPEG_LIB_VERSION);
#endif
}
