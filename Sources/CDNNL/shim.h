// oneDNN (Debian's libdnnl-dev): its row-major sgemm, which beats OpenBLAS
// 0.3.21 on the skinny shapes of a ViT step, and its bf16 matmul (AVX512_BF16).
#include <dnnl.h>

// A 2-D memory descriptor by strides (Swift sees dnnl_dims_t as a 12-tuple).
static inline dnnl_status_t ijepa_dnnl_md_2d(dnnl_memory_desc_t *md, long rows, long cols, dnnl_data_type_t type,
                                             long row_stride, long col_stride) {
    dnnl_dims_t dims = {rows, cols}, strides = {row_stride, col_stride};
    return dnnl_memory_desc_init_by_strides(md, 2, dims, type, strides);
}
