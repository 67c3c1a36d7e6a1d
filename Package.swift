// swift-tools-version:6.0
import PackageDescription

let package = Package(
    name: "nnmodel",
    products: [
        .library(name: "NNModel", targets: ["NNModel"]),
        .executable(name: "nnmodel", targets: ["nnmodel"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/weichsel/ZIPFoundation", from: "0.9.20"),
        .package(url: "https://github.com/swiftlang/swift-docc-plugin", from: "1.5.0"),
    ],
    targets: [
        // C libraries. zlib is linked; OpenBLAS and libhdf5 are loaded with dlopen on first use
        // (C targets with the headers nnmodel needs and forwarding functions), so that commands
        // that neither compute nor read HDF5 start without them (Debian's libhdf5 alone brings
        // ~40 shared libraries).
        .systemLibrary(name: "CZlibNN", path: "Sources/CZlibNN", pkgConfig: "zlib",
                       providers: [.apt(["zlib1g-dev"])]),
        .target(name: "CBLAS", linkerSettings: [.linkedLibrary("dl")]),
        // libhdf5's headers and the shim for its macros (not linked: see CHDF5Loader).
        .systemLibrary(name: "CHDF5", path: "Sources/CHDF5", providers: [.apt(["libhdf5-dev"])]),
        .target(name: "CHDF5Loader", dependencies: ["CHDF5"], exclude: ["nnhdf5_loader.h", "nnhdf5_symbols.h"],
                linkerSettings: [.linkedLibrary("dl")]),

        // Libraries, lowest first.
        .target(name: "CKernels"),
        .target(name: "CSignals"),
        .target(name: "NNBase"),
        .target(name: "NNJSON", dependencies: ["NNBase"]),
        .target(name: "NNSystem", dependencies: ["NNBase", "CZlibNN", "CKernels"]),
        .target(name: "NNSchema", dependencies: ["NNBase", "NNJSON"]),
        .target(name: "NNCore", dependencies: ["NNSchema", "CBLAS", "CKernels"]),
        .target(name: "NNData", dependencies: ["NNCore", "NNSystem"]),
        .target(name: "NNFormat", dependencies: ["NNSchema", "NNSystem"]),
        .target(name: "NNHDF5", dependencies: ["NNBase", "CHDF5", "CHDF5Loader", "NNSystem"]),
        .target(name: "NNKeras", dependencies: [
            "NNSchema", "NNSystem", "NNHDF5",
            .product(name: "ZIPFoundation", package: "ZIPFoundation"),
        ]),
        .target(name: "NNONNX", dependencies: ["NNSchema", "NNCore", "NNSystem"]),
        .target(name: "NNSafetensors", dependencies: ["NNSchema", "NNSystem"]),
        .target(name: "NNPlot", dependencies: ["NNBase", "CZlibNN"]),
        .target(name: "NNModel", dependencies: ["NNSchema", "NNCore", "NNSystem", "NNData", "NNFormat", "NNHDF5", "NNKeras", "NNONNX", "NNSafetensors", "NNPlot"]),
        .target(name: "NNModelCLI", dependencies: [
            "NNModel", "CSignals",
            .product(name: "ArgumentParser", package: "swift-argument-parser"),
        ]),
        .executableTarget(name: "nnmodel", dependencies: ["NNModelCLI"]),

        // One support target for every test target: fixture paths, temporary folders removed at the end,
        // Fashion-MNIST that fails (not skips) in CI, HDF5 object builders.
        .target(name: "NNTestSupport", dependencies: ["NNModel", "NNHDF5", "CHDF5"], path: "Tests/NNTestSupport"),
        .testTarget(name: "NNCoreTests", dependencies: ["NNCore", "NNSchema", "NNJSON", "NNTestSupport"]),
        .testTarget(name: "NNDataTests", dependencies: ["NNData", "NNSystem", "CZlibNN", "NNTestSupport"]),
        .testTarget(name: "NNHDF5Tests", dependencies: ["NNHDF5", "NNTestSupport"]),
        .testTarget(name: "NNKerasTests", dependencies: ["NNModel", "NNHDF5", "NNTestSupport"]),
        .testTarget(name: "NNFormatTests", dependencies: ["NNFormat", "NNCore", "NNSystem", "NNTestSupport"]),
        .testTarget(name: "NNPlotTests", dependencies: ["NNPlot", "CZlibNN", "NNTestSupport"]),
        .testTarget(name: "NNModelCLITests", dependencies: ["NNModelCLI", "NNModel", "NNTestSupport"]),
        .testTarget(name: "InteropTests", dependencies: ["NNModel", "NNTestSupport"]),
        .testTarget(name: "ReliabilityTests", dependencies: ["NNModel", "NNHDF5", "NNTestSupport"]),
    ]
)
