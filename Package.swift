// swift-tools-version:6.0
import PackageDescription

let package = Package(
    name: "sae-report",
    platforms: [.macOS(.v13)],
    products: [
        .executable(name: "sae-report", targets: ["sae-report"]),
        .library(name: "Analyze", targets: ["Analyze", "Formats", "Tokenizers", "LMRuntime", "SAECore", "Parallelism"]),
        .library(name: "SiteGen", targets: ["SiteGen", "Charts"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
        .package(url: "https://github.com/weichsel/ZIPFoundation", from: "0.9.19"),
        .package(url: "https://github.com/hummingbird-project/swift-mustache", from: "2.0.0"),
        .package(url: "https://github.com/apple/swift-crypto", "3.0.0"..<"5.0.0"),
    ],
    targets: [
        // System libraries (Debian: libopenblas-dev, libpng-dev, libcmark-dev).
        .systemLibrary(
            name: "COpenBLAS", path: "Sources/COpenBLAS", pkgConfig: "openblas",
            providers: [.apt(["libopenblas-dev"])]),
        .systemLibrary(
            name: "CPNG", path: "Sources/CPNG", pkgConfig: "libpng",
            providers: [.apt(["libpng-dev"])]),
        .systemLibrary(
            name: "CGzip", path: "Sources/CGzip", pkgConfig: "zlib",
            providers: [.apt(["zlib1g-dev"])]),
        .systemLibrary(
            name: "CCmark", path: "Sources/CCmark", pkgConfig: "libcmark",
            providers: [.apt(["libcmark-dev"])]),

        // templates/ and assets/ (top-level symlinks into Sources/SiteResources) are copied into a resource bundle
        // that `swift run`, the built binary and a binary copied with its bundle all find through Bundle.module.
        .target(name: "SiteResources", resources: [.copy("templates"), .copy("assets")]),
        // demo/ (a top-level symlink into Sources/DemoData): the embedded demo's model, SAE and corpus.
        .target(name: "DemoData", resources: [.copy("demo")]),

        // One module per layer; each imports only the layers below it, so the compiler enforces the layering
        // (docs/architecture.md). Parallelism and Formats are the base: no BLAS, no model.
        .target(name: "Parallelism"),
        .target(
            name: "Formats",
            dependencies: [
                .product(name: "ZIPFoundation", package: "ZIPFoundation"),
                .product(name: "Crypto", package: "swift-crypto"),
            ]),
        .target(name: "Tokenizers", dependencies: ["Formats", "Parallelism"]),
        // The language-model runtime and its kernels. Every module keeps Swift's bounds and overflow checks:
        // -Ounchecked on this one measured no faster (the forward's time is in OpenBLAS; docs/architecture.md).
        // The AVX-512 BF16 GEMM kernel (compiled for that ISA through target attributes, called only where cpuid
        // reports it; MatrixBackend.swift falls back to sgemm elsewhere).
        .target(name: "CBF16Gemm"),
        // oneDNN's matmul behind the same seam (Debian: libdnnl-dev, built on the OpenMP runtime; it dispatches its
        // own kernels by CPU, AVX2 to AMX). A C target of its own: the C API's descriptors are unions Swift handles poorly.
        .target(name: "CDNNL", linkerSettings: [.linkedLibrary("dnnl"), .linkedLibrary("gomp")]),
        // The row kernels that call e^x (softmax, SiLU) and the LM head's reductions, compiled for AVX-512F, AVX2 + FMA
        // and portable C, the widest picked at run time (Swift's SIMD code is compiled for baseline x86-64, SSE2).
        .target(name: "CVectorMath"),
        .target(name: "LMRuntime", dependencies: ["CBF16Gemm", "CDNNL", "CVectorMath", "COpenBLAS", "Formats", "Parallelism"]),
        .target(name: "SAECore", dependencies: ["Formats", "LMRuntime", "Parallelism"]),
        .target(name: "Charts", dependencies: ["CPNG"]),
        .target(
            name: "Analyze",
            dependencies: [
                "Formats", "Tokenizers", "LMRuntime", "SAECore", "Charts", "Parallelism", "CGzip",
                .product(name: "ZIPFoundation", package: "ZIPFoundation"),
                .product(name: "Crypto", package: "swift-crypto"),
            ]),
        .target(
            name: "SiteGen",
            dependencies: [
                "Formats", "Charts", "SAECore", "Parallelism", "CCmark", "SiteResources",
                .product(name: "Mustache", package: "swift-mustache"),
            ]),
        .executableTarget(
            name: "sae-report",
            dependencies: [
                "Analyze", "SiteGen", "DemoData", "Formats", "Tokenizers", "LMRuntime", "SAECore", "Charts", "Parallelism",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]),

        .executableTarget(
            name: "sae-bench",
            dependencies: [
                "Analyze", "SiteGen", "Formats", "Tokenizers", "LMRuntime", "SAECore", "Charts", "Parallelism", "COpenBLAS",
                "TestSupport",
            ], path: "Benchmarks/sae-bench"),

        // Fixture roots, tolerances, reference formulas and scratch directories shared by the test targets.
        .target(name: "TestSupport", dependencies: ["Analyze", "SAECore"], path: "Tests/TestSupport"),
        .testTarget(
            name: "AnalyzeTests",
            dependencies: [
                "TestSupport", "Analyze", "Formats", "Tokenizers", "LMRuntime", "SAECore", "Charts", "Parallelism", "CVectorMath",
                .product(name: "ZIPFoundation", package: "ZIPFoundation"),
            ], path: "Tests/AnalyzeTests"),
        .testTarget(
            name: "SiteGenTests",
            dependencies: [
                "TestSupport", "SiteGen", "Analyze", "Formats", "SAECore", "Charts", "Parallelism", "CPNG",
            ], path: "Tests/SiteGenTests"),
        // Runs the built `sae-report` binary (the dependency makes `swift test` build it first): one process per run,
        // as users run it, so signals, exit codes and run-to-run determinism are tested for real.
        .testTarget(
            name: "CLITests", dependencies: ["TestSupport", "sae-report", "Analyze", "Formats", "SAECore"],
            path: "Tests/CLITests"),
    ],
    // Swift 5 language mode: the numeric kernels share raw buffers across Parallelism.forEach
    // iterations by design, which Swift 6's strict Sendable checking cannot express without noise.
    swiftLanguageModes: [.v5]
)
