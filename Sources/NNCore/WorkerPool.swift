internal import CKernels

/// Threads that run one task per thread and wait for all (fork-join), used to split training
/// batches and inference across cores. The calling thread is worker 0.
final class WorkerPool: @unchecked Sendable {
    private let pool: OpaquePointer
    /// The number of threads, the caller included.
    let size: Int

    /// A pool of `threads` threads in all; `nil` if threads cannot be created.
    init?(threads: Int) {
        guard let p = nn_pool_create(Int32(max(1, threads))) else { return nil }
        pool = p
        size = Int(nn_pool_size(p))
    }

    deinit { nn_pool_destroy(pool) }

    /// Runs `body(i)` for every worker index `i` concurrently and returns when all have finished.
    /// The bodies must touch disjoint memory. Any thread may run any index (the caller normally
    /// runs 0, each worker the same index every time). Workers flush denormals to zero; callers
    /// whose results must not depend on which thread ran an index set the same on their own
    /// thread for the call (`nn_fp_flush_denormals`), as every caller in nnmodel does.
    func run(_ body: (Int) -> Void) {
        withoutActuallyEscaping(body) { escaping in
            var task = escaping
            withUnsafeMutablePointer(to: &task) { pointer in
                nn_pool_run(pool, { context, index in
                    guard let context else { return }
                    context.assumingMemoryBound(to: ((Int) -> Void).self).pointee(Int(index))
                }, UnsafeMutableRawPointer(pointer))
            }
        }
    }

    /// The number of processors online.
    static var processorCount: Int { Int(nn_processor_count()) }

    /// The most threads any command or call may ask for: four per core (more only make the
    /// threads wait for each other; thousands livelock the scheduler).
    static var maximumThreads: Int { 4 * max(1, processorCount) }
}

/// Splits `0..<count` into `parts` contiguous ranges whose boundaries are multiples of
/// `alignment` (the last range takes the remainder); some ranges may be empty.
func partition(_ count: Int, into parts: Int, alignment: Int = 1) -> [Range<Int>] {
    let parts = max(1, parts)
    let units = (count + alignment - 1) / alignment
    var ranges: [Range<Int>] = []
    var start = 0
    for p in 0..<parts {
        let endUnit = units * (p + 1) / parts
        let end = min(count, endUnit * alignment)
        ranges.append(start..<max(start, end))
        start = max(start, end)
    }
    return ranges
}
