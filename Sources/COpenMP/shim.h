// GNU OpenMP's runtime (libgomp, shipped with gcc), called directly: oneDNN
// runs its GEMMs on this runtime's thread team, so our own parallel loops run
// on the same team instead of a second pool that would fight it for the
// cores. GOMP_parallel is the entry point gcc emits for `#pragma omp
// parallel`; declared here because omp.h lives in gcc's private include dir.
void GOMP_parallel(void (*fn)(void *), void *data, unsigned num_threads, unsigned flags);
int omp_get_thread_num(void);
int omp_get_num_threads(void);
int omp_get_max_threads(void);
void omp_set_num_threads(int n);
int omp_in_parallel(void);
