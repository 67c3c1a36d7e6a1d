/// Realistic Fashion-MNIST-like data for tests and sample pictures; no
/// dataset is needed, images are synthesised shapes.
enum FashionSamples {
    static let classNames = [
        "T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
        "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot",
    ]

    /// A plausible 10-class confusion matrix for 10 000 test images (1000 per
    /// class): shirts are confused with T-shirts, pullovers and coats.
    static let confusion: [[Int]] = [
        [850, 2, 15, 30, 4, 1, 90, 0, 8, 0],
        [3, 968, 2, 18, 4, 0, 3, 0, 2, 0],
        [18, 1, 812, 10, 88, 0, 68, 0, 3, 0],
        [25, 8, 10, 890, 35, 0, 28, 0, 4, 0],
        [1, 1, 90, 28, 825, 0, 52, 0, 3, 0],
        [0, 0, 0, 1, 0, 962, 0, 24, 2, 11],
        [110, 2, 62, 28, 52, 0, 738, 0, 8, 0],
        [0, 0, 0, 0, 0, 20, 0, 955, 0, 25],
        [4, 1, 4, 5, 3, 3, 8, 4, 966, 2],
        [0, 0, 0, 0, 0, 8, 1, 37, 0, 954],
    ]

    /// Five epochs of a Keras `History.history`.
    static let history: [String: [Double]] = [
        "loss": [0.50, 0.375, 0.337, 0.312, 0.29],
        "accuracy": [0.82, 0.864, 0.876, 0.884, 0.89],
        "val_loss": [0.52, 0.42, 0.385, 0.366, 0.352],
        "val_accuracy": [0.81, 0.848, 0.861, 0.868, 0.873],
    ]

    /// A 28×28 image (intensities 0…1, light garment on black) roughly shaped like `classIndex`.
    static func image(classIndex: Int, variant: Int) -> [Float] {
        var pixels = [Float](repeating: 0, count: 28 * 28)
        func fill(_ x0: Int, _ y0: Int, _ x1: Int, _ y1: Int, _ level: Float = 0.8) {
            for y in max(y0, 0)...min(y1, 27) {
                for x in max(x0, 0)...min(x1, 27) {
                    let texture = Float((x * 31 + y * 17 + variant * 13) % 23) / 100
                    pixels[y * 28 + x] = min(1, level + texture)
                }
            }
        }
        let shift = variant % 3 - 1
        switch classIndex {
        case 0:  // T-shirt: body and short sleeves
            fill(8, 5, 19, 26); fill(2 + shift, 5, 25 - shift, 11)
        case 1:  // Trouser: waistband and two legs
            fill(8, 2, 19, 5); fill(8, 5, 12, 27); fill(15, 5, 19, 27)
        case 2:  // Pullover: body and long sleeves
            fill(8, 4, 19, 25); fill(3, 5, 6, 23); fill(21, 5, 24, 23)
        case 3:  // Dress: widening towards the hem
            for y in 2...27 { let half = 3 + (y - 2) / 3; fill(14 - half, y, 13 + half, y, 0.7) }
        case 4:  // Coat: long sleeves and a dark zip
            fill(7, 3, 20, 27); fill(2, 4, 5, 24); fill(22, 4, 25, 24); fill(13, 3, 14, 27, 0.1)
        case 5:  // Sandal: straps over a sole
            fill(2, 22, 25, 24); fill(4, 15, 6, 22); fill(12, 13, 14, 22); fill(20, 16, 22, 22); fill(4, 15, 22, 16, 0.6)
        case 6:  // Shirt: body, sleeves and a collar
            fill(8, 5, 19, 26, 0.6); fill(3, 5, 7, 20, 0.6); fill(20, 5, 24, 20, 0.6); fill(12, 5, 15, 8, 0.2)
        case 7:  // Sneaker: low shoe with sloping front
            for y in 12...23 { let front = 26 - max(0, 16 - y); fill(3, y, front, y, 0.75) }; fill(2, 22, 26, 24, 0.95)
        case 8:  // Bag: body with a handle
            fill(4, 11, 23, 25); fill(8, 5, 9, 11); fill(18, 5, 19, 11); fill(8, 5, 19, 6)
        default:  // Ankle boot: shaft and foot
            fill(11, 3, 20, 24); fill(3, 17, 24, 25); fill(3, 25, 24, 26, 1)
        }
        return pixels
    }

    /// 25 samples with two-line captions ("Shirt 87%" / "T-shirt/top") and
    /// verdicts; a few are misclassified like real Fashion-MNIST errors.
    static func gridSamples() -> (images: [[Float]], captions: [[String]], verdicts: [ImageGridVerdict]) {
        let truth = [9, 2, 1, 1, 6, 1, 4, 6, 5, 7, 4, 5, 7, 3, 4, 1, 2, 4, 8, 0, 2, 5, 7, 9, 1]
        let predicted = [9, 2, 1, 1, 0, 1, 4, 6, 5, 7, 2, 5, 5, 3, 4, 1, 2, 6, 8, 0, 2, 7, 7, 9, 1]
        let confidence = [97, 88, 100, 99, 61, 100, 79, 72, 99, 98, 54, 100, 66, 94, 83, 100, 91, 48, 100, 85, 77, 58, 99, 96, 100]
        var images: [[Float]] = [], captions: [[String]] = [], verdicts: [ImageGridVerdict] = []
        for index in truth.indices {
            images.append(image(classIndex: truth[index], variant: index))
            captions.append(["\(classNames[predicted[index]]) \(confidence[index])%", classNames[truth[index]]])
            verdicts.append(truth[index] == predicted[index] ? .correct : .wrong)
        }
        return (images, captions, verdicts)
    }
}

import NNPlot
typealias ImageGridVerdict = ImageGrid.Verdict
