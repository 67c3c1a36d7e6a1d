import NNBase

/// An error raised by NNPlot when its input cannot be drawn or encoded.
///
/// Every case carries the values needed to explain the problem, and
/// ``description`` turns them into a message a command-line user can act on.
public enum PlotError: NNError, Equatable, Sendable {
    /// An image was requested with a width or height that is zero or negative.
    case invalidImageSize(width: Int, height: Int)
    /// An image is so large that its byte count does not fit in memory or in a PNG.
    case imageTooLarge(width: Int, height: Int)
    /// A pixel buffer does not hold `width × height × channels` values.
    case pixelCountMismatch(expected: Int, actual: Int)
    /// Sample `index` of a batch has the wrong number of pixels.
    case samplePixelCountMismatch(index: Int, expected: Int, actual: Int)
    /// An integer scale factor (image or text) is below 1 or above `RGBAImage.maximumScale`.
    case invalidScale(Int)
    /// A list that must not be empty is empty; the string names it.
    case emptyInput(String)
    /// Two lists that must line up have different lengths.
    case countMismatch(what: String, expected: Int, actual: Int)
    /// Row `row` of a confusion matrix has `count` entries instead of `expected`.
    case confusionMatrixNotSquare(row: Int, count: Int, expected: Int)
    /// A confusion matrix has a negative count.
    case negativeCount(row: Int, column: Int, value: Int)
    /// A grid layout parameter (such as the column count) is out of range.
    case invalidLayout(String)
    /// A diagram was asked for more boxes than it draws.
    case tooManyBoxes(count: Int, limit: Int)
    /// zlib failed while compressing PNG data.
    case compressionFailed(code: Int32, message: String)

    public var description: String {
        switch self {
        case let .invalidImageSize(width, height):
            return "image size \(width)×\(height) is invalid: width and height must both be at least 1"
        case let .imageTooLarge(width, height):
            return "image size \(width)×\(height) is too large to allocate or encode"
        case let .pixelCountMismatch(expected, actual):
            return "pixel buffer holds \(actual) values but the image size needs \(expected)"
        case let .samplePixelCountMismatch(index, expected, actual):
            return "image \(index) has \(actual) pixels but width × height is \(expected)"
        case let .invalidScale(scale):
            return "scale factor \(scale) is invalid: it must be a whole number from 1 to \(RGBAImage.maximumScale)"
        case let .emptyInput(what):
            return "nothing to draw: \(what) is empty"
        case let .countMismatch(what, expected, actual):
            return "\(what): expected \(expected) but got \(actual)"
        case let .confusionMatrixNotSquare(row, count, expected):
            return "confusion matrix is not square: row \(row) has \(count) entries, expected \(expected)"
        case let .negativeCount(row, column, value):
            return "confusion matrix entry [\(row)][\(column)] is \(value); counts cannot be negative"
        case let .invalidLayout(message):
            return "invalid layout: \(message)"
        case let .tooManyBoxes(count, limit):
            return "a diagram of \(count) boxes is too large to draw: at most \(limit)"
        case let .compressionFailed(code, message):
            return "zlib compression failed (code \(code)): \(message)"
        }
    }

    public var category: ErrorCategory { .invalidInput }
}
