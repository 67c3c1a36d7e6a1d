import Foundation
import Testing
@testable import NNCore

/// OpenBLAS runs the kernels the CPU can: where its detection does not know the CPU model and
/// falls back to the generic SSE3 ("Prescott") kernels, nnmodel selects AVX-512 or AVX2 ones.
@Suite struct BLASKernelTests {
    /// The CPU's flags from /proc/cpuinfo (empty elsewhere).
    static var cpuFlags: Set<String> {
        guard let text = try? String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8),
              let line = text.split(separator: "\n").first(where: { $0.hasPrefix("flags") }) else { return [] }
        return Set(line.split(separator: ":").last?.split(separator: " ").map(String.init) ?? [])
    }

    @Test func kernelsMatchTheCPU() throws {
        BLAS.setThreadCount(1)  // what training and inference do first
        let kernels = try #require(BLAS.kernels)
        let flags = Self.cpuFlags
        if ProcessInfo.processInfo.environment["OPENBLAS_CORETYPE"] == nil, flags.contains("avx2"), flags.contains("fma") {
            #expect(kernels.lowercased() != "prescott", "OpenBLAS runs SSE3 kernels on a CPU with AVX2 (flags: \(flags.sorted().prefix(8)))")
        }
        // The products still compute the right thing with whatever kernels were chosen.
        let a: [Float] = (0..<64 * 48).map { Float($0 % 7) - 3 }
        let b: [Float] = (0..<48 * 40).map { Float($0 % 5) - 2 }
        var c = [Float](repeating: 0, count: 64 * 40)
        BLAS.gemm(m: 64, n: 40, k: 48, a: a, lda: 48, b: b, ldb: 40, c: &c, ldc: 40)
        for i in stride(from: 0, to: 64, by: 9) {
            for j in stride(from: 0, to: 40, by: 7) {
                let expected = (0..<48).reduce(Float(0)) { $0 + a[i * 48 + $1] * b[$1 * 40 + j] }
                #expect(c[i * 40 + j] == expected)
            }
        }
    }
}
