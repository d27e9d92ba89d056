// oneDNN (Debian's libdnnl-dev): its row-major sgemm, which beats OpenBLAS
// 0.3.21 on the skinny shapes of a ViT step.
#include <dnnl.h>
