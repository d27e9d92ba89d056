#ifndef IJEPA_CCODECS_H
#define IJEPA_CCODECS_H

#include <stddef.h>
#include <stdint.h>

// Image decode/encode over libpng and libjpeg-turbo. Both libraries report
// errors by longjmp; these wrappers catch them and return a message instead,
// so callers (Swift) never see a longjmp or an exit().
//
// Every function returns 0 on success, non-zero on failure with a
// NUL-terminated message in `err` (at most `errlen` bytes).

// A decoded image: 8-bit samples, interleaved, rows top to bottom.
// channels is 1 (gray) or 3 (RGB): alpha is dropped (as PIL's convert does),
// palettes are expanded, 16-bit samples are scaled to 8 bits, 1/2/4-bit gray
// is expanded to 8 bits. `pixels` is malloc'ed; free it with ccodecs_free.
typedef struct {
    uint8_t *pixels;
    int32_t width;
    int32_t height;
    int32_t channels;
} ccodecs_image;

// Detects the format by its signature: 1 PNG, 2 JPEG, 0 unknown.
int ccodecs_sniff(const uint8_t *data, size_t size);

// Reads the whole file through IEND: truncated data (even a missing IEND),
// CRC errors in critical chunks and zlib errors fail. No gamma correction is
// applied; 16-bit samples become round(v * 255 / 65535). Images with
// width * height > 2^28 are refused before any pixel buffer is allocated.
int ccodecs_png_decode(const uint8_t *data, size_t size, ccodecs_image *out,
                       char *err, size_t errlen);

// Truncated JPEG data (libjpeg's "premature end" warning) and corrupt scan
// data are reported as failures, not silently padded with gray; harmless
// warnings (extraneous bytes before a marker) are not.
// Grayscale decodes to 1 channel, YCbCr/RGB to 3; CMYK/YCCK are converted to
// RGB (Adobe-marker files are taken as inverted CMYK, as Photoshop writes
// them: R = C * K / 255 on the stored values). Same 2^28-pixel limit as PNG.
int ccodecs_jpeg_decode(const uint8_t *data, size_t size, ccodecs_image *out,
                        char *err, size_t errlen);

void ccodecs_free(void *p);

// PNG encoding, used by tests to write every PNG kind and by later stages for
// figures. color_type is libpng's PNG_COLOR_TYPE_* value (0 gray, 2 RGB,
// 3 palette, 4 gray+alpha, 6 RGBA); bit_depth 1/2/4/8/16 as PNG allows.
// `samples` holds one sample per channel per pixel, row-major, as uint16
// (so 16-bit depths fit; for depths < 16 the values must fit the depth).
// For palette images, samples are palette indices and `palette` holds
// palette_len RGB triplets. interlace: 0 none, 1 Adam7.
// The encoded bytes are malloc'ed into *out (free with ccodecs_free).
int ccodecs_png_encode(int32_t width, int32_t height, int color_type, int bit_depth,
                       int interlace, const uint16_t *samples,
                       const uint8_t *palette, int palette_len,
                       uint8_t **out, size_t *out_size, char *err, size_t errlen);

// JPEG encoding of 8-bit gray (channels 1) or RGB (channels 3) pixels.
// quality is clamped to 1...100; libjpeg's defaults otherwise (4:2:0 chroma
// subsampling for RGB). The output is malloc'ed (free with ccodecs_free).
int ccodecs_jpeg_encode(int32_t width, int32_t height, int32_t channels,
                        const uint8_t *pixels, int quality,
                        uint8_t **out, size_t *out_size, char *err, size_t errlen);

// Library versions, for provenance: static strings such as "libpng 1.6.39"
// (the library loaded at run time) and "libjpeg-turbo 2.1.5 (libjpeg API 62)"
// (the headers compiled against).
const char *ccodecs_png_version(void);
const char *ccodecs_jpeg_version(void);

#endif
