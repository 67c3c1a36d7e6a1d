#include "nnpool.h"
#include "nnfloatenv.h"

#include <pthread.h>
#include <sched.h>
#include <stdlib.h>
#include <unistd.h>

#if defined(__x86_64__) || defined(__i386__)
#define CPU_RELAX() __builtin_ia32_pause()
#else
#define CPU_RELAX() ((void)0)
#endif

// Pauses a waiting thread spins before it sleeps (workers) or yields (the caller): about 10-40 µs.
enum { SPIN_LIMIT = 1 << 11 };

struct nn_pool {
    int threads;
    pthread_t *workers;
    pthread_mutex_t mutex;
    pthread_cond_t wake;
    nn_task task;
    void *context;
    unsigned long generation;   // bumped for each run; workers join each run once
    int *claimed;               // per task index: nonzero once a thread has taken it in this run
    int finished;               // tasks finished in the current run
    int sleepers;               // workers waiting on `wake`
    int stopping;
};

typedef struct {
    nn_pool *pool;
    int index;
} worker_start;

/// Claims and runs tasks of the current run until none is left, its own index first: thread i
/// normally runs task i every time, so a task's data stays in one core's caches. The others are
/// taken by whichever thread is free, so a worker the scheduler has not started yet never holds
/// the others up.
static void run_tasks(nn_pool *pool, int own) {
    int n = pool->threads;
    for (int k = 0; k < n; k++) {
        int i = (own + k) % n;
        // Acquire pairs with the release that reset the flag for this run, so the task and
        // context read below are this run's.
        if (__atomic_exchange_n(&pool->claimed[i], 1, __ATOMIC_ACQ_REL) != 0) continue;
        pool->task(pool->context, i);
        __atomic_add_fetch(&pool->finished, 1, __ATOMIC_ACQ_REL);
    }
}

static void *worker_main(void *argument) {
    worker_start start = *(worker_start *)argument;
    free(argument);
    nn_pool *pool = start.pool;
    unsigned long seen = 0;
    // Workers only run nnmodel's computations, in the environment they expect (nnfloatenv.h).
    nn_fp_flush_denormals();
    for (;;) {
        unsigned long generation;
        int spins = 0;
        while ((generation = __atomic_load_n(&pool->generation, __ATOMIC_ACQUIRE)) == seen) {
            if (__atomic_load_n(&pool->stopping, __ATOMIC_ACQUIRE)) return NULL;
            if (++spins < SPIN_LIMIT) {
                CPU_RELAX();
                continue;
            }
            pthread_mutex_lock(&pool->mutex);
            // Sequentially consistent with the caller's "bump generation, then read sleepers", so
            // either the caller sees this sleeper or this thread sees the new generation.
            __atomic_add_fetch(&pool->sleepers, 1, __ATOMIC_SEQ_CST);
            while (__atomic_load_n(&pool->generation, __ATOMIC_SEQ_CST) == seen &&
                   !__atomic_load_n(&pool->stopping, __ATOMIC_ACQUIRE)) {
                pthread_cond_wait(&pool->wake, &pool->mutex);
            }
            __atomic_sub_fetch(&pool->sleepers, 1, __ATOMIC_SEQ_CST);
            pthread_mutex_unlock(&pool->mutex);
            spins = 0;
        }
        seen = generation;
        run_tasks(pool, start.index);
    }
}

nn_pool *nn_pool_create(int threads) {
    if (threads < 1) threads = 1;
    nn_pool *pool = calloc(1, sizeof(nn_pool));
    if (!pool) return NULL;
    pool->threads = threads;
    pthread_mutex_init(&pool->mutex, NULL);
    pthread_cond_init(&pool->wake, NULL);
    pool->claimed = calloc((size_t)threads, sizeof(int));
    if (!pool->claimed) {
        nn_pool_destroy(pool);
        return NULL;
    }
    if (threads > 1) {
        pool->workers = calloc((size_t)threads - 1, sizeof(pthread_t));
        if (!pool->workers) {
            nn_pool_destroy(pool);
            return NULL;
        }
        for (int i = 1; i < threads; i++) {
            worker_start *start = malloc(sizeof(worker_start));
            if (start) {
                start->pool = pool;
                start->index = i;
            }
            if (!start || pthread_create(&pool->workers[i - 1], NULL, worker_main, start) != 0) {
                free(start);
                pool->threads = i;  // only the workers started so far exist
                nn_pool_destroy(pool);
                return NULL;
            }
        }
    }
    return pool;
}

void nn_pool_run(nn_pool *pool, nn_task task, void *context) {
    if (pool->threads == 1) {
        task(context, 0);
        return;
    }
    pool->task = task;
    pool->context = context;
    __atomic_store_n(&pool->finished, 0, __ATOMIC_RELAXED);
    // Release: a thread that claims a task sees the task, context and count above (even a worker
    // still finishing its scan of the previous run).
    for (int i = 0; i < pool->threads; i++) __atomic_store_n(&pool->claimed[i], 0, __ATOMIC_RELEASE);
    __atomic_add_fetch(&pool->generation, 1, __ATOMIC_SEQ_CST);
    if (__atomic_load_n(&pool->sleepers, __ATOMIC_SEQ_CST) > 0) {
        pthread_mutex_lock(&pool->mutex);
        pthread_cond_broadcast(&pool->wake);
        pthread_mutex_unlock(&pool->mutex);
    }
    run_tasks(pool, 0);
    int spins = 0;
    while (__atomic_load_n(&pool->finished, __ATOMIC_ACQUIRE) < pool->threads) {
        if (++spins < SPIN_LIMIT) CPU_RELAX(); else sched_yield();
    }
}

int nn_pool_size(const nn_pool *pool) { return pool->threads; }

void nn_pool_destroy(nn_pool *pool) {
    if (!pool) return;
    __atomic_store_n(&pool->stopping, 1, __ATOMIC_RELEASE);
    pthread_mutex_lock(&pool->mutex);
    pthread_cond_broadcast(&pool->wake);
    pthread_mutex_unlock(&pool->mutex);
    // (No workers when their array could not be allocated.)
    if (pool->workers) {
        for (int i = 1; i < pool->threads; i++) pthread_join(pool->workers[i - 1], NULL);
    }
    free(pool->workers);
    free(pool->claimed);
    pthread_cond_destroy(&pool->wake);
    pthread_mutex_destroy(&pool->mutex);
    free(pool);
}

int nn_processor_count(void) {
    long n = sysconf(_SC_NPROCESSORS_ONLN);
    return n < 1 ? 1 : (int)n;
}
