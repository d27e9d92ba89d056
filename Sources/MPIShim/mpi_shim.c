#include "mpi_shim.h"
#include <limits.h>
#include <mpi.h>
#include <stdlib.h>

void ij_mpi_init(int *rank, int *size) {
    int provided = 0;
    MPI_Init_thread(NULL, NULL, MPI_THREAD_FUNNELED, &provided);
    MPI_Comm_rank(MPI_COMM_WORLD, rank);
    MPI_Comm_size(MPI_COMM_WORLD, size);
}

void ij_mpi_finalize(void) { MPI_Finalize(); }

void ij_mpi_abort(int code) { MPI_Abort(MPI_COMM_WORLD, code); }

void ij_mpi_allreduce_sum_f32(float *buf, size_t count) {
    while (count > 0) {
        int n = count > INT_MAX ? INT_MAX : (int)count;
        MPI_Allreduce(MPI_IN_PLACE, buf, n, MPI_FLOAT, MPI_SUM, MPI_COMM_WORLD);
        buf += n;
        count -= (size_t)n;
    }
}

void ij_mpi_allreduce_sum_f64(double *buf, int count) {
    MPI_Allreduce(MPI_IN_PLACE, buf, count, MPI_DOUBLE, MPI_SUM, MPI_COMM_WORLD);
}

void ij_mpi_allreduce_min_u64(uint64_t *buf, int count) {
    MPI_Allreduce(MPI_IN_PLACE, buf, count, MPI_UINT64_T, MPI_MIN, MPI_COMM_WORLD);
}

void ij_mpi_allreduce_max_u64(uint64_t *buf, int count) {
    MPI_Allreduce(MPI_IN_PLACE, buf, count, MPI_UINT64_T, MPI_MAX, MPI_COMM_WORLD);
}

void *ij_mpi_iallreduce_sum_f32(float *buf, int count) {
    MPI_Request *r = malloc(sizeof *r);
    if (!r) MPI_Abort(MPI_COMM_WORLD, 12);
    MPI_Iallreduce(MPI_IN_PLACE, buf, count, MPI_FLOAT, MPI_SUM, MPI_COMM_WORLD, r);
    return r;
}

void ij_mpi_wait(void *request) {
    MPI_Request *r = request;
    MPI_Wait(r, MPI_STATUS_IGNORE);
    free(r);
}

void ij_mpi_bcast(void *buf, size_t bytes, int root) {
    char *p = buf;
    while (bytes > 0) {
        int n = bytes > INT_MAX ? INT_MAX : (int)bytes;
        MPI_Bcast(p, n, MPI_BYTE, root, MPI_COMM_WORLD);
        p += n;
        bytes -= (size_t)n;
    }
}
