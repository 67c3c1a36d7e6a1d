#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Kills the process at a chosen point of an atomic save, for the tests that prove an
/// interrupted save never damages the target file.
///
/// Set `NNMODEL_FAULT_INJECTION` to `created`, `written`, `synced` or `renamed`; the process then
/// sends itself SIGKILL when a save reaches that point. Set it to `no-space`, and every write of a
/// save fails as on a full disk (ENOSPC). Unset (always, outside those tests), this does nothing.
package enum FaultInjection {
    /// The points of ``AtomicFile/replace(_:fill:)`` a fault can be injected at.
    package enum Point: String, CaseIterable, Sendable {
        /// The temporary file exists, empty.
        case created
        /// The content is written but not flushed.
        case written
        /// The content is flushed but not renamed over the target.
        case synced
        /// The rename is done but the folder is not flushed.
        case renamed
        /// Not a kill point: every write of a save fails with ENOSPC.
        case noSpace = "no-space"
    }

    /// The points that kill the process (every one but ``Point/noSpace``).
    package static let killPoints: [Point] = [.created, .written, .synced, .renamed]

    /// The environment variable that selects the point.
    package static let variable = "NNMODEL_FAULT_INJECTION"

    private static let selected: Point? = getenv(variable).flatMap { Point(rawValue: String(cString: $0)) }

    static func reached(_ point: Point) {
        if selected == point { kill(getpid(), SIGKILL) }
    }

    /// Whether writes must fail as on a full disk.
    package static var failsWrites: Bool { selected == .noSpace }
}
