#if canImport(Glibc)
import Glibc
#endif

/// Plain threads for independent jobs (one file each): no shared pool, no change to the
/// threads' floating-point settings (a conversion must give the same bytes on any thread).
enum Parallel {
    /// The number of processors online.
    static var processorCount: Int { max(1, sysconf(Int32(_SC_NPROCESSORS_ONLN))) }

    /// Runs `body(i)` for every `i` in `0..<items` on `threads` threads (the caller's among them),
    /// each taking the next index when it is free; returns when all are done.
    static func run(threads: Int, items: Int, _ body: @escaping (Int) -> Void) {
        let next = Counter()
        let work = Work {
            while true {
                let i = next.take()
                if i >= items { return }
                body(i)
            }
        }
        var started: [pthread_t] = []
        for _ in 1..<max(1, min(threads, items)) {
            var thread = pthread_t()
            let context = Unmanaged.passRetained(work).toOpaque()
            let status = pthread_create(&thread, nil, { context in
                guard let context else { return nil }
                Unmanaged<Work>.fromOpaque(context).takeRetainedValue().body()
                return nil
            }, context)
            if status == 0 {
                started.append(thread)
            } else {
                Unmanaged<Work>.fromOpaque(context).release()  // fewer threads: the others take its share
            }
        }
        work.body()
        for thread in started { pthread_join(thread, nil) }
    }

    private final class Work: @unchecked Sendable {
        let body: () -> Void
        init(_ body: @escaping () -> Void) { self.body = body }
    }

    private final class Counter: @unchecked Sendable {
        private let lock = PthreadLock()
        private var value = 0
        func take() -> Int { lock.locked { defer { value += 1 }; return value } }
    }
}

/// One result per job, written by whichever thread ran it.
final class ResultSlots<Value>: @unchecked Sendable {
    private let lock = PthreadLock()
    private var values: [Value?]
    init(count: Int) { values = Array(repeating: nil, count: count) }
    subscript(i: Int) -> Value? {
        get { lock.locked { values[i] } }
        set { lock.locked { values[i] = newValue } }
    }
}

/// "[k/n] name" on one terminal line of standard error while jobs finish.
final class ProgressCounter: @unchecked Sendable {
    private let lock = PthreadLock()
    private let total: Int
    private var done = 0
    init(total: Int) { self.total = total }

    func step(_ name: String) {
        lock.locked {
            done += 1
            let line = "[\(done)/\(total)] \(name)"
            Console.errRaw("\r\u{1B}[K" + String(line.prefix(120)))
        }
    }

    func finish() { Console.errRaw("\r\u{1B}[K") }
}
