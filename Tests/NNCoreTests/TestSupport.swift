import Foundation
import Testing
@testable import NNCore
@testable import NNSchema
@testable import NNJSON

/// Small helpers shared by the NNCore tests.
enum TestData {
    /// `count` values uniform in `[-scale, scale)`, drawn from `rng`.
    static func uniform(_ count: Int, scale: Double = 1, _ rng: inout SeededGenerator) -> [Float] {
        (0..<count).map { _ in Float((rng.nextUnitDouble() * 2 - 1) * scale) }
    }

    /// A Float32 dataset with class labels.
    static func classes(_ features: [Float], shape: [Int], labels: [Int32], name: String = "test data") throws -> Dataset {
        try Dataset(name: name, sampleShape: shape, features: .float32(features), labels: .classes(labels))
    }

    /// A Float32 dataset with dense target rows.
    static func dense(_ features: [Float], shape: [Int], targets: [Float], width: Int, name: String = "test data") throws -> Dataset {
        try Dataset(name: name, sampleShape: shape, features: .float32(features), labels: .dense(targets, width: width))
    }

    /// `perClass` points around each of `centers` (Gaussian, standard deviation `spread`), labelled by centre,
    /// interleaved so every prefix of the dataset holds every class.
    static func blobs(centers: [[Double]], perClass: Int, spread: Double, seed: UInt64) throws -> Dataset {
        var rng = SeededGenerator(seed: seed)
        var features: [Float] = []
        var labels: [Int32] = []
        for _ in 0..<perClass {
            for (c, center) in centers.enumerated() {
                for x in center { features.append(Float(x + spread * rng.nextNormal())) }
                labels.append(Int32(c))
            }
        }
        return try classes(features, shape: [centers[0].count], labels: labels, name: "blobs")
    }

    /// Three well separated 2-D Gaussian blobs.
    static func threeBlobs(perClass: Int = 100, seed: UInt64 = 7) throws -> Dataset {
        try blobs(centers: [[2, 0], [-1, 1.7], [-1, -1.7]], perClass: perClass, spread: 0.45, seed: seed)
    }
}

/// A Dense layer with Keras's default initializers.
func dense(_ name: String, _ units: Int, _ activation: Activation = .linear, bias: Bool = true, trainable: Bool = true) -> Layer {
    Layer(name: name, kind: .dense(Dense(units: units, activation: activation, useBias: bias)), trainable: trainable)
}

/// Whether `a` and `b` agree within `absolute + relative * max(|a|, |b|)`.
func close(_ a: Double, _ b: Double, absolute: Double = 1e-6, relative: Double = 1e-5) -> Bool {
    abs(a - b) <= absolute + relative * max(abs(a), abs(b))
}

func close(_ a: Float, _ b: Double, absolute: Double = 1e-6, relative: Double = 1e-5) -> Bool {
    close(Double(a), b, absolute: absolute, relative: relative)
}

/// Records an issue for every element of `actual` that differs from `expected` beyond the tolerance.
func expectClose(
    _ actual: [Float], _ expected: [Double], absolute: Double = 1e-6, relative: Double = 1e-5,
    _ what: @autoclosure () -> String = "", sourceLocation: SourceLocation = #_sourceLocation
) {
    #expect(actual.count == expected.count, "\(what()): \(actual.count) values, expected \(expected.count)",
            sourceLocation: sourceLocation)
    for (i, (a, e)) in zip(actual, expected).enumerated() where !close(a, e, absolute: absolute, relative: relative) {
        Issue.record("\(what())[\(i)] = \(a), expected \(e)", sourceLocation: sourceLocation)
    }
}

/// Whether every weight tensor of two models is bit-for-bit the same.
func bitwiseEqual(_ a: [Tensor], _ b: [Tensor]) -> Bool {
    a.count == b.count && zip(a, b).allSatisfy { x, y in
        x.shape == y.shape && zip(x.scalars, y.scalars).allSatisfy { $0.bitPattern == $1.bitPattern }
    }
}

/// The thrown error, or `nil` when `body` does not throw.
func thrownError<T>(_ body: () throws -> T) -> (any Error)? {
    do {
        _ = try body()
        return nil
    } catch {
        return error
    }
}
