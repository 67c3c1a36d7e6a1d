// swift-tools-version:6.0
// libFuzzer harnesses for nnmodel's readers of untrusted files. Not part of the root package:
// build and run them with `scripts/fuzz.sh` (see Fuzz/README.md).
import PackageDescription

let harnesses = ["FuzzNNM", "FuzzJSON", "FuzzIDX", "FuzzCSV", "FuzzNPY", "FuzzH5", "FuzzKeras", "FuzzONNX", "FuzzSafetensors"]

let package = Package(
    name: "nnmodel-fuzz",
    platforms: [.macOS(.v13)],
    dependencies: [.package(name: "nnmodel", path: "..")],
    targets: [
        .target(name: "FuzzSupport", dependencies: [.product(name: "NNModel", package: "nnmodel")]),
    ] + harnesses.map { name in
        .executableTarget(name: name, dependencies: ["FuzzSupport", .product(name: "NNModel", package: "nnmodel")])
    }
)
