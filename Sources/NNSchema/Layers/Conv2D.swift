/// How a window-based layer (Conv2D, pooling) treats the edges of its input.
public enum Padding: String, Sendable, Equatable, CaseIterable {
    /// No padding: windows lie wholly inside the input, so the output is smaller.
    case valid
    /// Zero padding (or, for pooling, windows cut at the edge) so that the output has
    /// `ceil(input / stride)` positions; the extra row or column of an even total goes after.
    case same

    /// The output length along one axis and the padding before it, or `nil` when no window fits.
    ///
    /// - Parameters:
    ///   - input: the input length.
    ///   - window: the effective window length (`(kernel - 1) × dilation + 1`).
    ///   - stride: the step between windows.
    public func output(input: Int, window: Int, stride: Int) -> (length: Int, padBefore: Int)? {
        guard input > 0, window > 0, stride > 0 else { return nil }
        switch self {
        case .valid:
            guard window <= input else { return nil }
            return ((input - window) / stride + 1, 0)
        case .same:
            let length = (input + stride - 1) / stride
            let total = max(0, (length - 1) * stride + window - input)
            return (length, total / 2)
        }
    }
}

/// The configuration of a 2-D convolution over channels-last images (`[height, width, channels]`).
///
/// `y[i, j, o] = activation(bias[o] + Σ kernel[a, b, c, o] · x[i·sh + a·dh - ph, j·sw + b·dw - pw, c])`,
/// with the kernel stored as Keras stores it, `[kernelHeight, kernelWidth, inChannels, filters]`.
public struct Conv2D: Sendable, Equatable {
    /// Output channels.
    public var filters: Int
    /// Kernel height and width.
    public var kernelSize: [Int]
    /// Steps between windows, vertically and horizontally.
    public var strides: [Int]
    /// Edge treatment.
    public var padding: Padding
    /// Spacing of the kernel's taps, vertically and horizontally.
    public var dilationRate: [Int]
    /// The activation applied after the bias.
    public var activation: Activation
    /// Whether the layer adds a bias per filter.
    public var useBias: Bool
    /// How the kernel is filled before training.
    public var kernelInitializer: Initializer
    /// How the bias is filled before training.
    public var biasInitializer: Initializer

    public init(
        filters: Int, kernelSize: [Int], strides: [Int] = [1, 1], padding: Padding = .valid, dilationRate: [Int] = [1, 1],
        activation: Activation = .linear, useBias: Bool = true,
        kernelInitializer: Initializer = .glorotUniform, biasInitializer: Initializer = .zeros
    ) {
        self.filters = filters
        self.kernelSize = kernelSize
        self.strides = strides
        self.padding = padding
        self.dilationRate = dilationRate
        self.activation = activation
        self.useBias = useBias
        self.kernelInitializer = kernelInitializer
        self.biasInitializer = biasInitializer
    }
}

/// The geometry of one window-based layer on one input: everything the engine needs to index.
public struct WindowGeometry: Sendable, Equatable {
    public var inputHeight: Int, inputWidth: Int, channels: Int
    public var outputHeight: Int, outputWidth: Int
    public var windowHeight: Int, windowWidth: Int
    public var strideHeight: Int, strideWidth: Int
    public var dilationHeight: Int, dilationWidth: Int
    public var padTop: Int, padLeft: Int

    /// A 1×1 window on a 1×1×1 input: a placeholder that indexes nothing out of range.
    public static let unit = WindowGeometry(
        inputHeight: 1, inputWidth: 1, channels: 1, outputHeight: 1, outputWidth: 1, windowHeight: 1, windowWidth: 1,
        strideHeight: 1, strideWidth: 1, dilationHeight: 1, dilationWidth: 1, padTop: 0, padLeft: 0)

    private init(inputHeight: Int, inputWidth: Int, channels: Int, outputHeight: Int, outputWidth: Int, windowHeight: Int,
                 windowWidth: Int, strideHeight: Int, strideWidth: Int, dilationHeight: Int, dilationWidth: Int,
                 padTop: Int, padLeft: Int) {
        self.inputHeight = inputHeight; self.inputWidth = inputWidth; self.channels = channels
        self.outputHeight = outputHeight; self.outputWidth = outputWidth
        self.windowHeight = windowHeight; self.windowWidth = windowWidth
        self.strideHeight = strideHeight; self.strideWidth = strideWidth
        self.dilationHeight = dilationHeight; self.dilationWidth = dilationWidth
        self.padTop = padTop; self.padLeft = padLeft
    }

    /// The geometry of `window` taps with `strides`, `dilation` and `padding` over an input of
    /// shape `[height, width, channels]`, or `nil` when the input is not 3-D or no window fits.
    public init?(input shape: [Int], window: [Int], strides: [Int], dilation: [Int] = [1, 1], padding: Padding) {
        guard shape.count == 3, window.count == 2, strides.count == 2, dilation.count == 2 else { return nil }
        let effectiveH = (window[0] - 1).multipliedReportingOverflow(by: dilation[0])
        let effectiveW = (window[1] - 1).multipliedReportingOverflow(by: dilation[1])
        guard !effectiveH.overflow, !effectiveW.overflow,
              let h = padding.output(input: shape[0], window: effectiveH.partialValue + 1, stride: strides[0]),
              let w = padding.output(input: shape[1], window: effectiveW.partialValue + 1, stride: strides[1])
        else { return nil }
        inputHeight = shape[0]; inputWidth = shape[1]; channels = shape[2]
        outputHeight = h.length; outputWidth = w.length
        windowHeight = window[0]; windowWidth = window[1]
        strideHeight = strides[0]; strideWidth = strides[1]
        dilationHeight = dilation[0]; dilationWidth = dilation[1]
        padTop = h.padBefore; padLeft = w.padBefore
    }
}
