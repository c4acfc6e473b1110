// swift-tools-version: 6.1
import PackageDescription

let package = Package(
    name: "Longshot",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "longshot", targets: ["longshot"])
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/jpsim/Yams", from: "5.0.1"),
        .package(url: "https://github.com/apple/swift-protobuf", from: "1.39.0"),
        // Operations (issue 11): metrics in Prometheus's format, served over HTTP.
        .package(url: "https://github.com/apple/swift-metrics", from: "2.13.0"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
        .package(url: "https://github.com/swift-server/swift-prometheus", from: "2.4.1"),
        .package(url: "https://github.com/hummingbird-project/hummingbird", from: "2.28.1", traits: []),
        // Already built for Hummingbird; the dashboard names its own header fields.
        .package(url: "https://github.com/apple/swift-http-types.git", from: "1.0.0"),
        // Built for Hummingbird too: the coordinator, workers and HTTP server run as services of a ServiceGroup.
        .package(url: "https://github.com/swift-server/swift-service-lifecycle.git", from: "2.0.0"),
    ],
    targets: [
        // C libraries at the edge.
        .systemLibrary(
            name: "CFFmpeg", path: "Sources/CFFmpeg", pkgConfig: "libavformat",
            providers: [.apt(["libavformat-dev", "libavcodec-dev", "libavutil-dev", "libswscale-dev"])]),
        .systemLibrary(
            name: "COpenBLAS", path: "Sources/COpenBLAS", pkgConfig: "openblas",
            providers: [.apt(["libopenblas-dev"])]),
        .systemLibrary(name: "CNNG", path: "Sources/CNNG", providers: [.apt(["libnng-dev"])]),
        .systemLibrary(name: "CLibPQ", path: "Sources/CLibPQ", pkgConfig: "libpq", providers: [.apt(["libpq-dev"])]),

        // Domain modules.
        .target(name: "LongshotNoise", path: "Sources/LongshotNoise"),
        .target(name: "LongshotPlanning", path: "Sources/LongshotPlanning"),
        .target(name: "LongshotDiffusion", dependencies: ["LongshotPlanning", "LongshotNoise"]),
        .target(name: "LongshotProcedural", dependencies: ["LongshotDiffusion", "LongshotNoise"]),
        .target(name: "LongshotVideo", dependencies: ["CFFmpeg"]),
        .target(name: "LongshotDigest", dependencies: ["CFFmpeg"]),
        .target(
            name: "LongshotJob",
            dependencies: ["LongshotPlanning", "LongshotDiffusion", .product(name: "Yams", package: "Yams")]),
        .target(
            name: "LongshotRender",
            dependencies: [
                "LongshotJob", "LongshotPlanning", "LongshotNoise", "LongshotDiffusion", "LongshotProcedural",
                "LongshotVideo", "LongshotDigest",
            ]),
        // Neural engine (issue 4): tensors on OpenBLAS, the MiniLM text encoder.
        // Optimised in debug builds too: the tests run the DiT and MiniLM through these kernels.
        .target(name: "CLongshotKernels", path: "Sources/CLongshotKernels", cSettings: [.unsafeFlags(["-O2"])]),
        .target(name: "LongshotTensor", dependencies: ["COpenBLAS", "CLongshotKernels"]),
        .target(name: "LongshotTextEncoder", dependencies: ["LongshotTensor"]),
        .target(name: "LongshotDiT", dependencies: ["LongshotTensor", "LongshotDiffusion", "LongshotTextEncoder"]),
        .target(name: "LongshotExternal", dependencies: ["LongshotDiffusion"]),
        .executableTarget(
            name: "LongshotDiTBenchmark", dependencies: ["LongshotDiT", "LongshotTensor"], path: "Benchmarks/DiTForward"),
        .executableTarget(name: "LongshotBLASBenchmark", path: "Benchmarks/BLASChoice", exclude: ["run.sh", "README.md"]),

        // The farm (issue 3): wire protocol, NNG transport, PostgreSQL store.
        .target(name: "LongshotProtocol", dependencies: [.product(name: "SwiftProtobuf", package: "swift-protobuf")]),
        .target(name: "LongshotTransport", dependencies: ["CNNG"]),
        .target(name: "LongshotStore", dependencies: ["CLibPQ"]),
        .target(name: "LongshotAuth", dependencies: ["LongshotProtocol", .product(name: "Yams", package: "Yams")]),
        .target(
            name: "LongshotEngines",
            dependencies: ["LongshotDiffusion", "LongshotJob", "LongshotProcedural", "LongshotDiT", "LongshotExternal"]),
        .target(
            name: "LongshotWire",
            dependencies: ["LongshotProtocol", "LongshotJob", "LongshotDiffusion"]),
        .target(
            name: "LongshotCoordinator",
            dependencies: [
                "LongshotStore", "LongshotTransport", "LongshotProtocol", "LongshotWire", "LongshotJob", "LongshotRender",
                "LongshotDigest", "LongshotPlanning", "LongshotDiffusion", "LongshotVideo", "LongshotAuth", "LongshotMetrics",
                "LongshotLogging", .product(name: "Logging", package: "swift-log"),
            ]),
        .target(
            name: "LongshotWorker",
            dependencies: [
                "LongshotTransport", "LongshotProtocol", "LongshotWire", "LongshotJob", "LongshotEngines",
                "LongshotDiffusion", "LongshotNoise", "LongshotDigest", "LongshotRender", "LongshotClient", "LongshotExternal",
                "LongshotMetrics", "LongshotVideo", "LongshotLogging", .product(name: "Logging", package: "swift-log"),
            ]),
        .target(name: "LongshotClient", dependencies: ["LongshotTransport", "LongshotProtocol", "LongshotWire"]),
        .target(name: "LongshotCluster", dependencies: ["LongshotStore", "LongshotClient", "LongshotTransport", "LongshotAuth"]),

        // Operations: the farm's metrics (swift-metrics, exported by swift-prometheus) and its HTTP server.
        .target(name: "LongshotLogging", dependencies: [.product(name: "Logging", package: "swift-log")]),
        .target(
            name: "LongshotMetrics",
            dependencies: [.product(name: "Metrics", package: "swift-metrics"), .product(name: "Prometheus", package: "swift-prometheus")]),
        .target(
            name: "LongshotHTTP",
            dependencies: [
                "LongshotMetrics", .product(name: "Hummingbird", package: "hummingbird"), .product(name: "Logging", package: "swift-log"),
            ]),

        .target(
            name: "LongshotDashboard",
            dependencies: [
                "LongshotProtocol", .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HTTPTypes", package: "swift-http-types"), .product(name: "SwiftProtobuf", package: "swift-protobuf"),
            ],
            resources: [.embedInCode("Assets/index.html"), .embedInCode("Assets/app.js"), .embedInCode("Assets/app.css")]),

        // The executable only parses arguments and wires modules together.
        .executableTarget(
            name: "longshot",
            dependencies: [
                "LongshotRender", "LongshotJob", "LongshotDiffusion", "LongshotVideo", "LongshotEngines",
                "LongshotWire", "LongshotProtocol", "LongshotTransport", "LongshotStore", "LongshotCoordinator",
                "LongshotWorker", "LongshotClient", "LongshotCluster", "LongshotDiT", "LongshotTextEncoder", "LongshotTensor",
                "LongshotAuth", "LongshotProcedural", "LongshotMetrics", "LongshotHTTP", "LongshotDashboard", "LongshotLogging", .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"), .product(name: "Logging", package: "swift-log"),
            ]),

        // Tests.
        .target(
            name: "LongshotTestSupport", dependencies: ["LongshotVideo", "LongshotStore", "LongshotCluster", "LongshotTransport"],
            path: "Tests/LongshotTestSupport"),
        .testTarget(name: "LongshotPlanningTests", dependencies: ["LongshotPlanning"]),
        .testTarget(name: "LongshotNoiseTests", dependencies: ["LongshotNoise"]),
        .testTarget(name: "LongshotJobTests", dependencies: ["LongshotJob", "LongshotTestSupport"]),
        .testTarget(name: "LongshotDiffusionTests", dependencies: ["LongshotDiffusion", "LongshotProcedural"]),
        .testTarget(name: "LongshotTensorTests", dependencies: ["LongshotTensor", "CLongshotKernels"]),
        .testTarget(name: "LongshotTextEncoderTests", dependencies: ["LongshotTextEncoder", "LongshotTensor"]),
        .testTarget(name: "LongshotDiTTests", dependencies: ["LongshotDiT", "LongshotTensor", "LongshotDiffusion"]),
        .testTarget(name: "LongshotTransportTests", dependencies: ["LongshotTransport", "LongshotProtocol", "LongshotAuth"]),
        .testTarget(name: "LongshotStoreTests", dependencies: ["LongshotStore", "LongshotTestSupport"]),
        .testTarget(name: "LongshotWorkerTests", dependencies: ["LongshotWorker", "LongshotProtocol"]),
        .testTarget(
            name: "LongshotFarmTests",
            dependencies: [
                "LongshotTestSupport", "LongshotCoordinator", "LongshotWorker", "LongshotClient", "LongshotCluster",
                "LongshotWire", "LongshotProtocol", "LongshotTransport", "LongshotStore", "LongshotJob",
                "LongshotRender", "LongshotEngines", "LongshotVideo", "LongshotAuth",
            ]),
        .testTarget(
            name: "LongshotEngineTests",
            dependencies: [
                "LongshotEngines", "LongshotExternal", "LongshotDiT", "LongshotRender", "LongshotJob", "LongshotDiffusion",
                "LongshotTextEncoder", "LongshotTensor", "LongshotTestSupport",
            ]),
        .testTarget(
            name: "LongshotRenderTests",
            dependencies: ["LongshotRender", "LongshotEngines", "LongshotJob", "LongshotVideo", "LongshotTestSupport"]),
    ],
    swiftLanguageModes: [.v6]
)
