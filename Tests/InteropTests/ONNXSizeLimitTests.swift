import NNModel
@testable import NNONNX
import NNSchema
import Testing

/// An ONNX file is one protocol buffer message, which holds at most 2 GiB: a model whose file
/// would be larger is refused before anything is read or written.
@Suite struct ONNXSizeLimitTests {
    struct Unread: Error {}

    @Test func aModelOverTwoGiBIsRefusedBeforeWriting() throws {
        // 65,536 × 8,192 float32 weights: 2 GiB of raw data alone. The values are never read.
        let architecture = ModelArchitecture(name: "huge", inputShape: [65_536], layers: [
            Layer(name: "dense", kind: .dense(Dense(units: 8_192, activation: .linear, useBias: false))),
        ])
        let kernel = try #require(StreamedTensor(shape: [65_536, 8_192]) { throw Unread() })
        let model = try StreamedModel(architecture: architecture, weights: [kernel], optimizer: nil, metadata: ModelMetadata())
        #expect {
            _ = try ONNXExport.encode(model, dtype: .float32, producer: "nnmodel", producerVersion: "", path: "huge.onnx")
        } throws: { error in
            "\(error)".contains("huge.onnx") && "\(error)".contains("2147483647")
        }
        // Half as large in float16: within the limit.
        let half = try ONNXExport.encode(model, dtype: .float16, producer: "nnmodel", producerVersion: "", path: "huge.onnx")
        #expect(half.count > 1 << 30 && half.count < Int(Int32.max))
    }
}
