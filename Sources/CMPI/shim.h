// Open MPI's C API (Debian: libopenmpi-dev), found through pkg-config
// (mpi-c). Only the MPI build (IJEPA_MPI=1, `make build-mpi`) uses it.
#include <mpi.h>
