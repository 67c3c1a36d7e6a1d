import NNSchema

/// How nnmodel's channels-last images meet ONNX's channels-first operators.
///
/// nnmodel (like Keras) stores images `[batch, height, width, channels]`; ONNX's `Conv`, pooling
/// and `BatchNormalization` read `[batch, channels, height, width]`. A value is in one of the two
/// layouts; `Transpose` with ``toChannelsFirst(rank:)`` or ``toChannelsLast(rank:)`` moves it.
enum ONNXLayout {
    /// The permutation from channels-last to channels-first for a value of `rank` axes (batch included):
    /// `[0, rank-1, 1, ..., rank-2]`.
    static func toChannelsFirst(rank: Int) -> [Int64] {
        guard rank > 2 else { return (0..<Int64(max(rank, 0))).map { $0 } }
        return [0, Int64(rank - 1)] + (1..<Int64(rank - 1)).map { $0 }
    }

    /// The permutation from channels-first back to channels-last: `[0, 2, ..., rank-1, 1]`.
    static func toChannelsLast(rank: Int) -> [Int64] {
        guard rank > 2 else { return (0..<Int64(max(rank, 0))).map { $0 } }
        return [0] + (2..<Int64(rank)).map { $0 } + [1]
    }

    /// ONNX's explicit `pads` (`[top, left, bottom, right]`) for a window layer as nnmodel pads it,
    /// or nil when no window fits. `same` puts the extra row or column of an odd total after.
    ///
    /// - Parameters:
    ///   - input: the sample shape `[height, width, channels]`.
    ///   - window: kernel or pool size.
    ///   - strides: steps between windows.
    ///   - dilation: spacing of the taps.
    ///   - padding: `valid` or `same`.
    static func pads(input: [Int], window: [Int], strides: [Int], dilation: [Int] = [1, 1], padding: Padding) -> [Int]? {
        guard let g = WindowGeometry(input: input, window: window, strides: strides, dilation: dilation, padding: padding) else {
            return nil
        }
        let totalH = max(0, (g.outputHeight - 1) * g.strideHeight + (g.windowHeight - 1) * g.dilationHeight + 1 - g.inputHeight)
        let totalW = max(0, (g.outputWidth - 1) * g.strideWidth + (g.windowWidth - 1) * g.dilationWidth + 1 - g.inputWidth)
        guard padding == .same else { return [0, 0, 0, 0] }
        return [g.padTop, g.padLeft, totalH - g.padTop, totalW - g.padLeft]
    }

    /// The nnmodel padding whose pads are `pads` (`[top, left, bottom, right]`), or nil when
    /// neither `valid` nor `same` pads that way. All-zero pads are `valid`.
    static func padding(pads: [Int], input: [Int], window: [Int], strides: [Int], dilation: [Int] = [1, 1]) -> Padding? {
        if pads.allSatisfy({ $0 == 0 }), Self.pads(input: input, window: window, strides: strides, dilation: dilation, padding: .valid) != nil {
            return .valid
        }
        if Self.pads(input: input, window: window, strides: strides, dilation: dilation, padding: .same) == pads { return .same }
        return nil
    }
}
