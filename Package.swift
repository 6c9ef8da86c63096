// swift-tools-version:6.0
import PackageDescription

// Layers (each imports only the ones above it): CNablaBLAS → Nabla → (NablaNN, NablaOptim, ...) → nabla CLI.
let package = Package(
    name: "Nabla",
    products: [
        .library(name: "Nabla", targets: ["Nabla"]),
        .executable(name: "nabla", targets: ["nabla"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
    ],
    targets: [
        .systemLibrary(
            name: "CNablaBLAS",
            path: "Sources/CNablaBLAS",
            providers: [.apt(["libopenblas-dev", "liblapacke-dev"])]
        ),
        .target(name: "Nabla", dependencies: ["CNablaBLAS"]),
        .executableTarget(
            name: "nabla",
            dependencies: ["Nabla", "CNablaBLAS", .product(name: "ArgumentParser", package: "swift-argument-parser")]
        ),
        .testTarget(name: "NablaTests", dependencies: ["Nabla"]),
    ],
    swiftLanguageModes: [.v5]
)
