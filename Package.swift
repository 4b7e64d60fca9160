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
    ],
    targets: [
        // System libraries (Debian: libopenblas-dev, libpng-dev, libcmark-dev).
        .systemLibrary(name: "COpenBLAS", path: "Sources/COpenBLAS", pkgConfig: "openblas",
                       providers: [.apt(["libopenblas-dev"])]),
        .systemLibrary(name: "CPNG", path: "Sources/CPNG", pkgConfig: "libpng",
                       providers: [.apt(["libpng-dev"])]),
        .systemLibrary(name: "CCmark", path: "Sources/CCmark", pkgConfig: "libcmark",
                       providers: [.apt(["libcmark-dev"])]),

        // templates/ and assets/ live at the top level; this target copies them into a resource bundle that
        // `swift run`, the built binary and a binary copied with its bundle all find through Bundle.module.
        .target(name: "SiteResources", path: ".", exclude: ["README.md", "Package.swift", "scripts", "docs", "Benchmarks", "Tests", ".ci",
                                                                  "Sources/Analyze", "Sources/SiteGen", "Sources/sae-report",
                                                                  "Sources/COpenBLAS", "Sources/CPNG", "Sources/CCmark"],
                sources: ["Sources/SiteResources"],
                resources: [.copy("templates"), .copy("assets")]),

        .target(name: "Analyze", dependencies: [
            "COpenBLAS",
            .product(name: "ZIPFoundation", package: "ZIPFoundation"),
        ], swiftSettings: [.unsafeFlags(["-Ounchecked"], .when(configuration: .release))]),
        .target(name: "SiteGen", dependencies: [
            "Analyze", "CPNG", "CCmark", "SiteResources",
            .product(name: "Mustache", package: "swift-mustache"),
        ]),
        .executableTarget(name: "sae-report", dependencies: [
            "Analyze", "SiteGen",
            .product(name: "ArgumentParser", package: "swift-argument-parser"),
        ]),

        .executableTarget(name: "sae-bench", dependencies: ["Analyze"], path: "Benchmarks/sae-bench"),

        .testTarget(name: "AnalyzeTests", dependencies: ["Analyze"], path: "Tests/AnalyzeTests"),
        .testTarget(name: "SiteGenTests", dependencies: ["SiteGen", "Analyze"], path: "Tests/SiteGenTests"),
    ]
)
