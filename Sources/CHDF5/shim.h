#include <hdf5.h>

// HDF5's predefined type and property-list ids are macros over globals that
// need H5open() first; Swift cannot import such macros, so expose them as
// functions.
static inline hid_t ijepa_h5t_native_uint8(void) { return H5T_NATIVE_UINT8; }
static inline hid_t ijepa_h5t_native_int32(void) { return H5T_NATIVE_INT32; }
static inline hid_t ijepa_h5t_native_int64(void) { return H5T_NATIVE_INT64; }
static inline hid_t ijepa_h5t_native_float(void) { return H5T_NATIVE_FLOAT; }
static inline hid_t ijepa_h5t_native_double(void) { return H5T_NATIVE_DOUBLE; }
static inline hid_t ijepa_h5t_c_s1(void) { return H5T_C_S1; }
static inline hid_t ijepa_h5p_dataset_create(void) { return H5P_DATASET_CREATE; }
static inline hid_t ijepa_h5p_file_access(void) { return H5P_FILE_ACCESS; }
static inline hid_t ijepa_h5p_link_create(void) { return H5P_LINK_CREATE; }
static inline unsigned ijepa_h5f_acc_trunc(void) { return H5F_ACC_TRUNC; }
static inline unsigned ijepa_h5f_acc_excl(void) { return H5F_ACC_EXCL; }
static inline unsigned ijepa_h5f_acc_rdonly(void) { return H5F_ACC_RDONLY; }
static inline unsigned ijepa_h5f_acc_rdwr(void) { return H5F_ACC_RDWR; }
static inline hsize_t ijepa_h5s_unlimited(void) { return H5S_UNLIMITED; }
// Silence HDF5's default error printing; we report errors ourselves.
static inline void ijepa_h5_silence_errors(void) { H5Eset_auto2(H5E_DEFAULT, NULL, NULL); }
