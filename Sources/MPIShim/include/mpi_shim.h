// The few MPI calls data-parallel pretraining needs, as plain C functions:
// MPI_COMM_WORLD, MPI_FLOAT and MPI_SUM are macros over Open MPI's globals
// that Swift cannot import.
#pragma once
#include <stddef.h>
#include <stdint.h>

/// MPI_Init_thread (funneled: only the training thread calls MPI). Returns
/// the rank and size through the pointers.
void ij_mpi_init(int *rank, int *size);
void ij_mpi_finalize(void);
/// Ends every rank of the job (an error on one rank must not leave the others
/// waiting in a collective).
void ij_mpi_abort(int code);
/// In-place sum over ranks; counts above INT_MAX are split.
void ij_mpi_allreduce_sum_f32(float *buf, size_t count);
void ij_mpi_allreduce_sum_f64(double *buf, int count);
void ij_mpi_allreduce_min_u64(uint64_t *buf, int count);
void ij_mpi_allreduce_max_u64(uint64_t *buf, int count);
/// Starts an in-place sum (count <= INT_MAX) and returns its request, to be
/// completed by ij_mpi_wait.
void *ij_mpi_iallreduce_sum_f32(float *buf, int count);
void ij_mpi_wait(void *request);
void ij_mpi_bcast(void *buf, size_t bytes, int root);
