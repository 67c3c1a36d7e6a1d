import Foundation
import NNSchema

/// The activation layers with parameters (`ReLU`, `LeakyReLU`, `ELU`) as element-wise functions.
enum ElementwiseFunction {
    case relu(maxValue: Float?, negativeSlope: Float, threshold: Float)
    case leakyReLU(negativeSlope: Float)
    case elu(alpha: Float)

    func forward(_ x: UnsafePointer<Float>, _ y: UnsafeMutablePointer<Float>, count: Int) {
        switch self {
        case let .relu(maxValue, slope, threshold):
            for i in 0..<count {
                let v = x[i]
                var out = v > threshold ? v : slope * (v - threshold)
                if let maxValue, out > maxValue { out = maxValue }
                y[i] = out
            }
        case let .leakyReLU(slope):
            for i in 0..<count { let v = x[i]; y[i] = v >= 0 ? v : slope * v }
        case let .elu(alpha):
            for i in 0..<count { let v = x[i]; y[i] = v > 0 ? v : alpha * Float(expm1(Double(v))) }
        }
    }

    /// ∂L/∂x = ∂L/∂y · f'(x).
    func backward(_ x: UnsafePointer<Float>, _ y: UnsafePointer<Float>, dy: UnsafePointer<Float>,
                  dx: UnsafeMutablePointer<Float>, count: Int) {
        switch self {
        case let .relu(maxValue, slope, threshold):
            for i in 0..<count {
                let v = x[i]
                let unclipped = v > threshold ? v : slope * (v - threshold)
                var d: Float = v > threshold ? 1 : slope
                if let maxValue, unclipped > maxValue { d = 0 }
                dx[i] = dy[i] * d
            }
        case let .leakyReLU(slope):
            for i in 0..<count { dx[i] = dy[i] * (x[i] >= 0 ? 1 : slope) }
        case let .elu(alpha):
            for i in 0..<count { dx[i] = dy[i] * (x[i] > 0 ? 1 : y[i] + alpha) }
        }
    }
}

/// The engine's state for a PReLU layer: which alpha each element of a sample uses.
struct PReLUStep {
    let alpha: Int
    let trainable: Bool
    /// For each element of one sample, the index of its alpha.
    let alphaIndex: [Int32]
    let alphaCount: Int

    init(alpha: Int, trainable: Bool, sampleShape: [Int], alphaShape: [Int]) {
        self.alpha = alpha
        self.trainable = trainable
        alphaCount = alphaShape.reduce(1, *)
        let size = sampleShape.reduce(1, *)
        var index = [Int32](repeating: 0, count: size)
        // Row-major strides of alpha, with 0 along shared (size-1) axes.
        var strides = [Int](repeating: 0, count: alphaShape.count)
        var s = 1
        for axis in alphaShape.indices.reversed() {
            strides[axis] = alphaShape[axis] == 1 ? 0 : s
            s *= alphaShape[axis]
        }
        var coordinate = [Int](repeating: 0, count: sampleShape.count)
        for e in 0..<size {
            var a = 0
            for axis in coordinate.indices { a += coordinate[axis] * strides[axis] }
            index[e] = Int32(a)
            var axis = sampleShape.count - 1
            while axis >= 0 {
                coordinate[axis] += 1
                if coordinate[axis] < sampleShape[axis] { break }
                coordinate[axis] = 0
                axis -= 1
            }
        }
        alphaIndex = index
    }

    func forward(_ x: UnsafePointer<Float>, _ y: UnsafeMutablePointer<Float>, samples n: Int, weights: [UnsafePointer<Float>]) {
        let a = weights[alpha], size = alphaIndex.count
        alphaIndex.withUnsafeBufferPointer { index in
            for s in 0..<n {
                let xs = x + s * size, ys = y + s * size
                for e in 0..<size { let v = xs[e]; ys[e] = v >= 0 ? v : a[Int(index[e])] * v }
            }
        }
    }

    func backward(_ x: UnsafePointer<Float>, dy: UnsafePointer<Float>, dx: UnsafeMutablePointer<Float>?, samples n: Int,
                  weights: [UnsafePointer<Float>], gradients: [UnsafeMutablePointer<Float>], accumulate: Bool,
                  update: ((_ weight: Int, _ rows: Range<Int>, _ columns: Range<Int>, _ gradient: UnsafePointer<Float>) -> Void)?) {
        let a = weights[alpha], size = alphaIndex.count
        let da = gradients[alpha]
        if trainable, !accumulate { da.update(repeating: 0, count: alphaCount) }
        alphaIndex.withUnsafeBufferPointer { index in
            for s in 0..<n {
                let xs = x + s * size, ds = dy + s * size
                for e in 0..<size {
                    let v = xs[e], i = Int(index[e])
                    if let dx { dx[s * size + e] = v >= 0 ? ds[e] : ds[e] * a[i] }
                    if trainable, v < 0 { da[i] += ds[e] * v }
                }
            }
        }
        if trainable { update?(alpha, 0..<1, 0..<alphaCount, da) }
    }
}
