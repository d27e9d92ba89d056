// PNG decode/encode over libpng, from and to memory.
//
// libpng reports errors by calling the error function, which must not return.
// Ours formats the message into the caller's buffer and longjmps back to a
// setjmp point inside a small *_run function. All state that must survive the
// longjmp (libpng structs, buffers to free) lives in a state struct owned by
// the public entry point, so no automatic variable of the function that calls
// setjmp is relied on after the jump.

#include "ccodecs.h"
#include "codecs_internal.h"

#include <png.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

// ---------------------------------------------------------------------------
// Decode

typedef struct {
    jmp_buf jump;
    char *err;
    size_t errlen;
    // Input.
    const uint8_t *data;
    size_t size;
    size_t pos;
    // libpng objects and buffers, released by the entry point.
    png_structp png;
    png_infop info;
    uint8_t *pixels;
    png_bytep *rows;
} png_decode_state;

static void png_decode_error_fn(png_structp png, png_const_charp msg) {
    png_decode_state *st = (png_decode_state *)png_get_error_ptr(png);
    ccodecs_set_error(st->err, st->errlen, "PNG: %s", msg ? msg : "unknown error");
    longjmp(st->jump, 1);
}

static void png_decode_warning_fn(png_structp png, png_const_charp msg) {
    // Warnings (bad ancillary chunks, sRGB profile remarks, ...) do not stop
    // decoding; stay silent rather than printing to stderr.
    (void)png;
    (void)msg;
}

static void png_memory_read_fn(png_structp png, png_bytep dst, size_t len) {
    png_decode_state *st = (png_decode_state *)png_get_io_ptr(png);
    if (len > st->size - st->pos) {
        png_error(png, "truncated data (unexpected end of file)");
    }
    memcpy(dst, st->data + st->pos, len);
    st->pos += len;
}

static int png_decode_run(png_decode_state *st, ccodecs_image *out) {
    if (setjmp(st->jump)) return 1;

    png_set_read_fn(st->png, st, png_memory_read_fn);
    png_read_info(st->png, st->info);

    png_uint_32 width = 0, height = 0;
    int bit_depth = 0, color_type = 0, interlace = 0;
    png_get_IHDR(st->png, st->info, &width, &height, &bit_depth, &color_type, &interlace,
                 NULL, NULL);
    if (width == 0 || height == 0) {
        ccodecs_set_error(st->err, st->errlen, "PNG: invalid dimensions %ux%u",
                          (unsigned)width, (unsigned)height);
        return 1;
    }
    if ((uint64_t)width * (uint64_t)height > CCODECS_MAX_PIXELS) {
        ccodecs_set_error(st->err, st->errlen, "PNG: image too large (%ux%u)", (unsigned)width,
                          (unsigned)height);
        return 1;
    }

    // Transformations to 8-bit gray or RGB, no gamma correction.
    if (bit_depth == 16) png_set_scale_16(st->png);
    if (color_type == PNG_COLOR_TYPE_PALETTE) png_set_palette_to_rgb(st->png);
    if (color_type == PNG_COLOR_TYPE_GRAY && bit_depth < 8) png_set_expand_gray_1_2_4_to_8(st->png);
    if (color_type & PNG_COLOR_MASK_ALPHA) png_set_strip_alpha(st->png);
    png_set_interlace_handling(st->png);
    png_read_update_info(st->png, st->info);

    int channels = png_get_channels(st->png, st->info);
    int out_bit_depth = png_get_bit_depth(st->png, st->info);
    size_t rowbytes = png_get_rowbytes(st->png, st->info);
    if (out_bit_depth != 8 || channels < 1 || channels > 4 ||
        rowbytes != (size_t)width * (size_t)channels) {
        ccodecs_set_error(st->err, st->errlen,
                          "PNG: unexpected layout after transforms (depth %d, %d channels)",
                          out_bit_depth, channels);
        return 1;
    }

    st->pixels = (uint8_t *)malloc(rowbytes * height);
    st->rows = (png_bytep *)malloc(sizeof(png_bytep) * height);
    if (st->pixels == NULL || st->rows == NULL) {
        ccodecs_set_error(st->err, st->errlen, "PNG: out of memory (%ux%u)", (unsigned)width,
                          (unsigned)height);
        return 1;
    }
    for (png_uint_32 y = 0; y < height; y++) st->rows[y] = st->pixels + (size_t)y * rowbytes;

    png_read_image(st->png, st->rows);
    // Reads the chunks after the image data up to IEND, which also finishes
    // checking the CRC of the last IDAT chunk.
    png_read_end(st->png, NULL);

    // Alpha should already be stripped; drop any channel libpng still left
    // (e.g. an alpha added by tRNS expansion) so the output is 1 or 3 channels.
    int out_channels = channels <= 2 ? 1 : 3;
    if (channels != out_channels) {
        size_t n = (size_t)width * height;
        uint8_t *p = st->pixels;
        for (size_t i = 0; i < n; i++) {
            for (int c = 0; c < out_channels; c++) {
                p[i * out_channels + c] = p[i * channels + c];
            }
        }
    }

    out->pixels = st->pixels;
    out->width = (int32_t)width;
    out->height = (int32_t)height;
    out->channels = out_channels;
    st->pixels = NULL;
    return 0;
}

int ccodecs_png_decode(const uint8_t *data, size_t size, ccodecs_image *out, char *err,
                       size_t errlen) {
    if (ccodecs_begin_decode("PNG", data, size, out, sizeof *out, err, errlen)) return 1;
    if (size < 8 || png_sig_cmp((png_const_bytep)data, 0, 8) != 0) {
        ccodecs_set_error(err, errlen, "PNG: not a PNG file (bad signature)");
        return 1;
    }

    png_decode_state st;
    memset(&st, 0, sizeof st);
    st.err = err;
    st.errlen = errlen;
    st.data = data;
    st.size = size;

    st.png = png_create_read_struct(PNG_LIBPNG_VER_STRING, &st, png_decode_error_fn,
                                    png_decode_warning_fn);
    if (st.png == NULL) {
        ccodecs_set_error(err, errlen, "PNG: cannot create read struct");
        return 1;
    }
    st.info = png_create_info_struct(st.png);
    int rc;
    if (st.info == NULL) {
        ccodecs_set_error(err, errlen, "PNG: cannot create info struct");
        rc = 1;
    } else {
        rc = png_decode_run(&st, out);
    }
    png_destroy_read_struct(&st.png, st.info ? &st.info : NULL, NULL);
    free(st.rows);
    free(st.pixels);
    if (rc != 0) {
        memset(out, 0, sizeof *out);
        if (err != NULL && errlen > 0 && err[0] == '\0') {
            ccodecs_set_error(err, errlen, "PNG: decode failed");
        }
    }
    return rc;
}

// ---------------------------------------------------------------------------
// Encode

typedef struct {
    jmp_buf jump;
    char *err;
    size_t errlen;
    png_structp png;
    png_infop info;
    // Encoded output, grown as libpng writes.
    uint8_t *out;
    size_t out_size;
    size_t out_cap;
    // Packed rows handed to libpng.
    uint8_t *packed;
    png_bytep *rows;
} png_encode_state;

static void png_encode_error_fn(png_structp png, png_const_charp msg) {
    png_encode_state *st = (png_encode_state *)png_get_error_ptr(png);
    ccodecs_set_error(st->err, st->errlen, "PNG encode: %s", msg ? msg : "unknown error");
    longjmp(st->jump, 1);
}

static void png_encode_warning_fn(png_structp png, png_const_charp msg) {
    (void)png;
    (void)msg;
}

static void png_memory_write_fn(png_structp png, png_bytep src, size_t len) {
    png_encode_state *st = (png_encode_state *)png_get_io_ptr(png);
    if (len > SIZE_MAX - st->out_size) png_error(png, "output too large");
    size_t need = st->out_size + len;
    if (need > st->out_cap) {
        size_t cap = st->out_cap ? st->out_cap : 4096;
        while (cap < need) {
            if (cap > SIZE_MAX / 2) {
                cap = need;
                break;
            }
            cap *= 2;
        }
        uint8_t *grown = (uint8_t *)realloc(st->out, cap);
        if (grown == NULL) png_error(png, "out of memory");
        st->out = grown;
        st->out_cap = cap;
    }
    memcpy(st->out + st->out_size, src, len);
    st->out_size = need;
}

static void png_memory_flush_fn(png_structp png) { (void)png; }

static int png_channels_for(int color_type) {
    switch (color_type) {
    case PNG_COLOR_TYPE_GRAY: return 1;
    case PNG_COLOR_TYPE_RGB: return 3;
    case PNG_COLOR_TYPE_PALETTE: return 1;
    case PNG_COLOR_TYPE_GRAY_ALPHA: return 2;
    case PNG_COLOR_TYPE_RGB_ALPHA: return 4;
    default: return 0;
    }
}

static int png_depth_allowed(int color_type, int bit_depth) {
    switch (color_type) {
    case PNG_COLOR_TYPE_GRAY:
        return bit_depth == 1 || bit_depth == 2 || bit_depth == 4 || bit_depth == 8 ||
               bit_depth == 16;
    case PNG_COLOR_TYPE_PALETTE:
        return bit_depth == 1 || bit_depth == 2 || bit_depth == 4 || bit_depth == 8;
    case PNG_COLOR_TYPE_RGB:
    case PNG_COLOR_TYPE_GRAY_ALPHA:
    case PNG_COLOR_TYPE_RGB_ALPHA:
        return bit_depth == 8 || bit_depth == 16;
    default: return 0;
    }
}

static int png_encode_run(png_encode_state *st, int32_t width, int32_t height, int color_type,
                          int bit_depth, int interlace, const uint8_t *palette,
                          int palette_len) {
    if (setjmp(st->jump)) return 1;

    png_set_write_fn(st->png, st, png_memory_write_fn, png_memory_flush_fn);
    png_set_IHDR(st->png, st->info, (png_uint_32)width, (png_uint_32)height, bit_depth,
                 color_type, interlace ? PNG_INTERLACE_ADAM7 : PNG_INTERLACE_NONE,
                 PNG_COMPRESSION_TYPE_DEFAULT, PNG_FILTER_TYPE_DEFAULT);
    if (color_type == PNG_COLOR_TYPE_PALETTE) {
        png_color colors[256];
        for (int i = 0; i < palette_len; i++) {
            colors[i].red = palette[3 * i];
            colors[i].green = palette[3 * i + 1];
            colors[i].blue = palette[3 * i + 2];
        }
        png_set_PLTE(st->png, st->info, colors, palette_len);
    }
    png_write_info(st->png, st->info);
    // Rows are already packed (depth < 8) and big-endian (depth 16), as PNG
    // stores them, so no packing or swapping transforms are set.
    if (interlace) png_set_interlace_handling(st->png);
    png_write_image(st->png, st->rows);
    png_write_end(st->png, NULL);
    return 0;
}

int ccodecs_png_encode(int32_t width, int32_t height, int color_type, int bit_depth,
                       int interlace, const uint16_t *samples, const uint8_t *palette,
                       int palette_len, uint8_t **out, size_t *out_size, char *err,
                       size_t errlen) {
    if (err != NULL && errlen > 0) err[0] = '\0';
    if (out == NULL || out_size == NULL) {
        ccodecs_set_error(err, errlen, "PNG encode: no output pointer");
        return 1;
    }
    *out = NULL;
    *out_size = 0;
    if (width <= 0 || height <= 0) {
        ccodecs_set_error(err, errlen, "PNG encode: invalid dimensions %dx%d", (int)width,
                          (int)height);
        return 1;
    }
    if ((uint64_t)width * (uint64_t)height > CCODECS_MAX_PIXELS) {
        ccodecs_set_error(err, errlen, "PNG encode: image too large (%dx%d)", (int)width,
                          (int)height);
        return 1;
    }
    int channels = png_channels_for(color_type);
    if (channels == 0) {
        ccodecs_set_error(err, errlen, "PNG encode: invalid color type %d", color_type);
        return 1;
    }
    if (!png_depth_allowed(color_type, bit_depth)) {
        ccodecs_set_error(err, errlen, "PNG encode: bit depth %d not allowed for color type %d",
                          bit_depth, color_type);
        return 1;
    }
    if (interlace != 0 && interlace != 1) {
        ccodecs_set_error(err, errlen, "PNG encode: invalid interlace %d", interlace);
        return 1;
    }
    if (samples == NULL) {
        ccodecs_set_error(err, errlen, "PNG encode: no samples");
        return 1;
    }
    if (color_type == PNG_COLOR_TYPE_PALETTE) {
        if (palette == NULL || palette_len < 1 || palette_len > (1 << bit_depth)) {
            ccodecs_set_error(err, errlen,
                              "PNG encode: palette needs 1...%d entries for bit depth %d, got %d",
                              1 << bit_depth, bit_depth, palette_len);
            return 1;
        }
    }

    // Validate and pack the samples into PNG rows.
    size_t w = (size_t)width, h = (size_t)height;
    size_t row_samples = w * (size_t)channels;
    size_t rowbytes = (row_samples * (size_t)bit_depth + 7) / 8;
    uint32_t limit = color_type == PNG_COLOR_TYPE_PALETTE ? (uint32_t)palette_len
                                                          : (uint32_t)1 << bit_depth;

    png_encode_state st;
    memset(&st, 0, sizeof st);
    st.err = err;
    st.errlen = errlen;
    st.packed = (uint8_t *)calloc(h, rowbytes);
    st.rows = (png_bytep *)malloc(sizeof(png_bytep) * h);
    int rc = 0;
    if (st.packed == NULL || st.rows == NULL) {
        ccodecs_set_error(err, errlen, "PNG encode: out of memory");
        rc = 1;
    }
    for (size_t y = 0; rc == 0 && y < h; y++) {
        uint8_t *row = st.packed + y * rowbytes;
        const uint16_t *src = samples + y * row_samples;
        st.rows[y] = row;
        for (size_t i = 0; i < row_samples; i++) {
            uint32_t v = src[i];
            if (bit_depth < 16 && v >= limit) {
                ccodecs_set_error(err, errlen,
                                  "PNG encode: sample %u at row %zu, index %zu exceeds %s %u", v,
                                  y, i,
                                  color_type == PNG_COLOR_TYPE_PALETTE ? "palette length"
                                                                       : "depth limit",
                                  limit);
                rc = 1;
                break;
            }
            if (bit_depth == 16) {
                row[2 * i] = (uint8_t)(v >> 8);
                row[2 * i + 1] = (uint8_t)(v & 0xFF);
            } else if (bit_depth == 8) {
                row[i] = (uint8_t)v;
            } else {
                size_t bit = i * (size_t)bit_depth;
                int shift = 8 - bit_depth - (int)(bit % 8);
                row[bit / 8] |= (uint8_t)(v << shift);
            }
        }
    }

    if (rc == 0) {
        st.png = png_create_write_struct(PNG_LIBPNG_VER_STRING, &st, png_encode_error_fn,
                                         png_encode_warning_fn);
        if (st.png == NULL) {
            ccodecs_set_error(err, errlen, "PNG encode: cannot create write struct");
            rc = 1;
        } else {
            st.info = png_create_info_struct(st.png);
            if (st.info == NULL) {
                ccodecs_set_error(err, errlen, "PNG encode: cannot create info struct");
                rc = 1;
            } else {
                rc = png_encode_run(&st, width, height, color_type, bit_depth, interlace,
                                    palette, palette_len);
            }
        }
    }

    if (st.png != NULL) png_destroy_write_struct(&st.png, st.info ? &st.info : NULL);
    free(st.packed);
    free(st.rows);
    if (rc == 0) {
        *out = st.out;
        *out_size = st.out_size;
    } else {
        free(st.out);
        if (err != NULL && errlen > 0 && err[0] == '\0') {
            ccodecs_set_error(err, errlen, "PNG encode: failed");
        }
    }
    return rc;
}

// ---------------------------------------------------------------------------
// Version

static pthread_once_t png_version_once = PTHREAD_ONCE_INIT;
static char png_version_text[64];

static void png_version_init(void) {
    // The version of the library actually loaded, not the header compiled against.
    const char *v = png_get_libpng_ver(NULL);
    snprintf(png_version_text, sizeof png_version_text, "libpng %s", v ? v : "unknown");
}

const char *ccodecs_png_version(void) {
    pthread_once(&png_version_once, png_version_init);
    return png_version_text;
}
