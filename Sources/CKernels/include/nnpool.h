#ifndef NNMODEL_POOL_H
#define NNMODEL_POOL_H

/// A fixed set of worker threads for fork-join parallelism with low latency: `nn_pool_run` runs a
/// task on every thread (the caller is thread 0) and returns when all have finished. Idle workers
/// spin briefly, then sleep on a condition variable, so a pool costs nothing while unused.
/// Workers flush denormals to zero (nnfloatenv.h); the caller sets its own environment.

#ifdef __cplusplus
extern "C" {
#endif

typedef void (*nn_task)(void *context, int index);
typedef struct nn_pool nn_pool;

/// A pool of `threads` threads in all (the caller plus `threads - 1` workers); NULL on failure.
nn_pool *nn_pool_create(int threads);

/// Runs `task(context, i)` once for every `i` in `0 ..< threads` and returns when all have run.
/// Each thread first claims its own index (the caller 0), then any task still unclaimed, so a
/// task index is normally run by the same thread, but not always: tasks must depend only on their
/// index.
void nn_pool_run(nn_pool *pool, nn_task task, void *context);

/// The number of threads, the caller included.
int nn_pool_size(const nn_pool *pool);

/// Stops and joins the workers and frees the pool.
void nn_pool_destroy(nn_pool *pool);

/// The number of processors online.
int nn_processor_count(void);

#ifdef __cplusplus
}
#endif

#endif
