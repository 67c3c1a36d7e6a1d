import CKernels
import Testing
@testable import NNCore

/// nnmodel's own Dense forward kernel (inference, AVX-512): right for every block shape and tail,
/// and each output one chain of multiply-adds, so any split of the rows gives the same bits.
@Suite struct DenseKernelTests {
    /// Deterministic values in [-1, 1).
    static func values(_ count: Int, seed: UInt64) -> [Float] {
        var state = seed &* 0x9E37_79B9_7F4A_7C15 | 1
        return (0..<count).map { _ in
            state ^= state << 13; state ^= state >> 7; state ^= state << 17
            return Float(state >> 40) / Float(1 << 23) - 1
        }
    }

    /// `bias + x · w` in Double, and a bound on the Float rounding of a sum of `depth` products.
    static func reference(x: [Float], w: [Float], bias: [Float]?, rows: Int, columns: Int, depth: Int) -> [Double] {
        (0..<rows * columns).map { i in
            let r = i / columns, j = i % columns
            return (0..<depth).reduce(Double(bias?[j] ?? 0)) { $0 + Double(x[r * depth + $1]) * Double(w[$1 * columns + j]) }
        }
    }

    @Test(arguments: [(1, 1, 1), (1, 16, 784), (5, 17, 3), (6, 64, 128), (7, 65, 129), (13, 130, 300), (12, 10, 128), (3, 48, 0), (19, 200, 257)])
    func matchesAPlainSum(shape: (rows: Int, columns: Int, depth: Int)) throws {
        let supported = nn_dense_forward_supported() != 0
        let (rows, columns, depth) = shape
        let x = Self.values(rows * depth, seed: 1), w = Self.values(depth * columns, seed: 2), bias = Self.values(columns, seed: 3)
        for withBias in [true, false] {
            // Padding after each output row must be left alone.
            let ldo = columns + 3
            var out = [Float](repeating: 42, count: rows * ldo)
            let done = x.withUnsafeBufferPointer { xp in
                w.withUnsafeBufferPointer { wp in
                    bias.withUnsafeBufferPointer { bp in
                        out.withUnsafeMutableBufferPointer { op in
                            nn_dense_forward(xp.baseAddress, depth, wp.baseAddress, columns, withBias ? bp.baseAddress : nil,
                                             op.baseAddress, ldo, rows, columns, depth)
                        }
                    }
                }
            }
            // Without AVX-512 the kernel declines, writing nothing (and OpenBLAS does the product).
            #expect(done == (supported ? 1 : 0))
            guard supported else {
                #expect(out.allSatisfy { $0 == 42 })
                continue
            }
            let expected = Self.reference(x: x, w: w, bias: withBias ? bias : nil, rows: rows, columns: columns, depth: depth)
            for r in 0..<rows {
                for j in 0..<columns {
                    let got = Double(out[r * ldo + j]), want = expected[r * columns + j]
                    #expect(abs(got - want) <= 1e-5 * Double(max(1, depth)), "row \(r) column \(j): \(got) vs \(want)")
                }
                for j in columns..<ldo { #expect(out[r * ldo + j] == 42) }
            }
        }
    }

    @Test func anySplitOfTheRowsGivesTheSameBits() throws {
        let rows = 23, columns = 70, depth = 300
        let x = Self.values(rows * depth, seed: 4), w = Self.values(depth * columns, seed: 5), bias = Self.values(columns, seed: 6)
        func run(_ range: Range<Int>, into out: inout [Float]) {
            x.withUnsafeBufferPointer { xp in
                w.withUnsafeBufferPointer { wp in
                    bias.withUnsafeBufferPointer { bp in
                        out.withUnsafeMutableBufferPointer { op in
                            _ = nn_dense_forward(xp.baseAddress! + range.lowerBound * depth, depth, wp.baseAddress, columns, bp.baseAddress,
                                                 op.baseAddress! + range.lowerBound * columns, columns, range.count, columns, depth)
                        }
                    }
                }
            }
        }
        var whole = [Float](repeating: 0, count: rows * columns)
        run(0..<rows, into: &whole)
        #expect(whole.contains { $0 != 0 } == (nn_dense_forward_supported() != 0))
        for split in [1, 5, 6, 7, 12] {
            var pieces = [Float](repeating: 0, count: rows * columns)
            var start = 0
            while start < rows {
                run(start..<min(rows, start + split), into: &pieces)
                start += split
            }
            #expect(pieces == whole, "rows in pieces of \(split)")
        }
    }

    @Test func smallLayersSkipOpenBLAS() {
        let supported = nn_dense_forward_supported() != 0
        #expect(Network.usesOwnKernel(inFeatures: 784, units: 128) == supported)
        #expect(Network.usesOwnKernel(inFeatures: 1 << 18, units: 1) == supported)
        #expect(!Network.usesOwnKernel(inFeatures: 1024, units: 1024))
        #expect(!Network.usesOwnKernel(inFeatures: 1 << 40, units: 1 << 40))
    }
}
