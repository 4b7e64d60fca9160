// swift-tools-version:6.0
import PackageDescription

let package = Package(
    name: "sae-report",
    platforms: [.macOS(.v13)],
    products: [
        .executable(name: "sae-report", targets: ["sae-report"]),
        .library(name: "Analyze", targets: ["Analyze"]),
        .library(name: "SiteGen", targets: ["SiteGen"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
        .package(url: "https://github.com/weichsel/ZIPFoundation", from: "0.9.19"),
        .package(url: "https://github.com/hummingbird-project/swift-mustache", from: "2.0.0"),
        .package(url: "https://github.com/apple/swift-crypto", "3.0.0"..<"5.0.0"),
    ],
    targets: [
        // System libraries (Debian: libopenblas-dev, libpng-dev, libcmark-dev).
        .systemLibrary(name: "COpenBLAS", path: "Sources/COpenBLAS", pkgConfig: "openblas",
                       providers: [.apt(["libopenblas-dev"])]),
        .systemLibrary(name: "CPNG", path: "Sources/CPNG", pkgConfig: "libpng",
                       providers: [.apt(["libpng-dev"])]),
        .systemLibrary(name: "CGzip", path: "Sources/CGzip", pkgConfig: "zlib",
                       providers: [.apt(["zlib1g-dev"])]),
        .systemLibrary(name: "CCmark", path: "Sources/CCmark", pkgConfig: "libcmark",
                       providers: [.apt(["libcmark-dev"])]),

        // templates/ and assets/ (top-level symlinks into Sources/SiteResources) are copied into a resource bundle
        // that `swift run`, the built binary and a binary copied with its bundle all find through Bundle.module.
        .target(name: "SiteResources", resources: [.copy("templates"), .copy("assets")]),
        // demo/ (a top-level symlink into Sources/DemoData): the embedded demo's model, SAE and corpus.
        .target(name: "DemoData", resources: [.copy("demo")]),

        .target(name: "Analyze", dependencies: [
            "COpenBLAS", "CGzip",
            .product(name: "ZIPFoundation", package: "ZIPFoundation"),
            .product(name: "Crypto", package: "swift-crypto"),
        ], swiftSettings: [.unsafeFlags(["-Ounchecked"], .when(configuration: .release))]),
        .target(name: "SiteGen", dependencies: [
            "Analyze", "CPNG", "CCmark", "SiteResources",
            .product(name: "Mustache", package: "swift-mustache"),
        ]),
        .executableTarget(name: "sae-report", dependencies: [
            "Analyze", "SiteGen", "DemoData",
            .product(name: "ArgumentParser", package: "swift-argument-parser"),
        ]),

        .executableTarget(name: "sae-bench", dependencies: ["Analyze", "SiteGen"], path: "Benchmarks/sae-bench"),

        .testTarget(name: "AnalyzeTests", dependencies: [
            "Analyze", .product(name: "ZIPFoundation", package: "ZIPFoundation"),
        ], path: "Tests/AnalyzeTests"),
        .testTarget(name: "SiteGenTests", dependencies: ["SiteGen", "Analyze"], path: "Tests/SiteGenTests"),
        // Runs the built `sae-report` binary (the dependency makes `swift test` build it first): one process per run,
        // as users run it, so signals, exit codes and run-to-run determinism are tested for real.
        .testTarget(name: "CLITests", dependencies: ["sae-report", "Analyze"], path: "Tests/CLITests"),
    ],
    // Swift 5 language mode: the numeric kernels share raw buffers across DispatchQueue.concurrentPerform
    // iterations by design, which Swift 6's strict Sendable checking cannot express without noise.
    swiftLanguageModes: [.v5]
)
