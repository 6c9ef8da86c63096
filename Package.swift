// swift-tools-version:6.0
import PackageDescription

// Layers (each imports only the ones above it): CNablaBLAS, CNablaKernels → Nabla → (NablaNN, NablaOptim, ...) → nabla CLI.
let package = Package(
    name: "Nabla",
    products: [
        .library(name: "Nabla", targets: ["Nabla", "NablaNN", "NablaOptim", "NablaViz", "NablaData", "NablaCheckpoint", "NablaClassic", "NablaTrust", "NablaGraph", "NablaRL", "NablaTrain", "NablaLabs", "NablaCompression", "NablaGenerative", "NablaLanguage", "NablaTransfer"]),
        .executable(name: "nabla", targets: ["nabla"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
        // Only NablaBoard (the run dashboard's web server) uses it.
        .package(url: "https://github.com/hummingbird-project/hummingbird", from: "2.28.1"),
    ],
    targets: [
        .systemLibrary(
            name: "CNablaBLAS",
            path: "Sources/CNablaBLAS",
            providers: [.apt(["libopenblas-dev", "liblapacke-dev"])]
        ),
        .systemLibrary(
            name: "CZlib",
            path: "Sources/CZlib",
            providers: [.apt(["zlib1g-dev"])]
        ),
        .systemLibrary(
            name: "CTurboJPEG",
            path: "Sources/CTurboJPEG",
            providers: [.apt(["libturbojpeg0-dev"])]
        ),
        // Nabla's own matrix-product kernel for processors with AVX-512 (BLAS covers the others).
        .target(name: "CNablaKernels"),
        .target(name: "Nabla", dependencies: ["CNablaBLAS", "CNablaKernels"]),
        // Integer (int8) matrix products for quantised layers: AVX-512 VNNI where present, a portable loop elsewhere.
        .target(name: "CNablaQuantized"),
        // Network compression: model summaries, pruning, distillation and int8 post-training quantisation.
        .target(name: "NablaCompression", dependencies: ["Nabla", "NablaNN", "NablaData", "NablaCheckpoint", "CNablaQuantized"]),
        .target(name: "NablaNN", dependencies: ["Nabla"]),
        .target(name: "NablaOptim", dependencies: ["Nabla", "NablaNN"]),
        .target(name: "NablaViz", dependencies: ["NablaData", "Nabla", "CZlib"]),
        .target(name: "NablaData", dependencies: ["Nabla", "CZlib", "CTurboJPEG"]),
        // Training checkpoints and module weights as safetensors: joins NablaNN and NablaOptim to NablaData's formats.
        .target(name: "NablaCheckpoint", dependencies: ["Nabla", "NablaNN", "NablaOptim", "NablaData"]),
        // Classical machine learning (regression, generative and discriminative classifiers, clustering, PCA, t-SNE, trees) in float64 over LAPACK.
        .target(name: "NablaClassic", dependencies: ["Nabla", "NablaData", "CNablaBLAS"]),
        // Adversarial attacks, defences and explanations of image classifiers, in pixel space.
        .target(name: "NablaTrust", dependencies: ["Nabla", "NablaNN", "NablaData", "NablaViz", "NablaClassic"]),
        // Graph neural networks: graphs, their builders and data sets, message-passing layers and readouts.
        .target(name: "NablaGraph", dependencies: ["Nabla", "NablaNN", "NablaData", "NablaClassic"]),
        // Box2D 2.4 (Debian's libbox2d-dev, C++) behind a small C interface, for the Box2D environments.
        .target(name: "CBox2DShim", linkerSettings: [.linkedLibrary("box2d")]),
        // Reinforcement learning: environments with Gymnasium's dynamics, vectorised copies and wrappers.
        .target(name: "NablaRL", dependencies: ["Nabla", "NablaNN", "NablaOptim", "NablaViz", "NablaCheckpoint", "CBox2DShim"]),
        // Generative models' losses (VAE, GAN, WGAN-GP) and the Fréchet distance over LAPACK.
        .target(name: "NablaGenerative", dependencies: ["Nabla", "NablaNN", "NablaOptim", "CNablaBLAS"]),
        // Language: text corpora (fortunes), tokenisers, a GPT with causal self-attention, generation with a key/value cache.
        .target(name: "NablaLanguage", dependencies: ["Nabla", "NablaNN", "NablaOptim", "NablaData", "NablaCheckpoint"]),
        // Beyond one task: meta-learning (episode sampling, MAML over fast weights), life-long learning and domain adaptation.
        .target(name: "NablaTransfer", dependencies: ["Nabla", "NablaNN"]),
        // The one training loop: tasks with named models and optimisers, run folders, progress, metrics, checkpoints and resume.
        .target(name: "NablaTrain", dependencies: ["Nabla", "NablaNN", "NablaOptim", "NablaData", "NablaCheckpoint", "NablaViz"]),
        // The course labs, one file each, built on NablaTrain; `nabla lab` runs them.
        .target(name: "NablaLabs", dependencies: ["Nabla", "NablaNN", "NablaOptim", "NablaData", "NablaCheckpoint", "NablaViz", "NablaTrain", "NablaClassic", "NablaTrust", "NablaGraph", "NablaCompression", "NablaGenerative", "NablaRL", "NablaLanguage", "NablaTransfer"]),
        // `nabla board`: a read-only web dashboard of run folders (live charts, compare, media), on Hummingbird.
        // It reads the run folders' files itself, so that it builds without the numerical targets.
        .target(name: "NablaBoard", dependencies: [.product(name: "Hummingbird", package: "hummingbird")]),
        .executableTarget(
            name: "nabla",
            dependencies: ["NablaBoard", "Nabla", "NablaNN", "NablaOptim", "NablaViz", "NablaData", "NablaCheckpoint", "NablaClassic", "NablaTrust", "NablaRL", "NablaTrain", "NablaLabs", "NablaCompression", "NablaGenerative", "NablaLanguage", "CNablaBLAS", .product(name: "ArgumentParser", package: "swift-argument-parser")]
        ),
        // Golden-value loading and the tolerance rule, shared by every test target.
        .target(name: "NablaTestSupport", dependencies: ["Nabla"], path: "Tests/NablaTestSupport"),
        .testTarget(name: "NablaTests", dependencies: ["Nabla", "CNablaBLAS", "CNablaKernels", "NablaTestSupport"]),
        .testTarget(name: "NablaNNTests", dependencies: ["Nabla", "NablaNN", "NablaOptim", "NablaTestSupport"]),
        .testTarget(name: "NablaOptimTests", dependencies: ["Nabla", "NablaNN", "NablaOptim", "NablaTestSupport"]),
        .testTarget(name: "NablaVizTests", dependencies: ["NablaViz", "Nabla", "NablaData", "NablaTrain", "NablaLabs", "NablaTestSupport"]),
        .testTarget(name: "NablaDataTests", dependencies: ["NablaData", "Nabla", "NablaTestSupport"]),
        .testTarget(name: "NablaCheckpointTests", dependencies: ["NablaCheckpoint", "NablaData", "NablaOptim", "NablaNN", "Nabla", "NablaTestSupport"]),
        .testTarget(name: "NablaClassicTests", dependencies: ["NablaClassic", "Nabla", "NablaData", "NablaTestSupport"]),
        // The command line's argument parsing and the run-folder reader, fuzzed in process (the executable
        // target is importable by tests; its `main` is renamed when linked into them).
        .testTarget(name: "NablaCommandLineTests", dependencies: ["nabla", "Nabla", "NablaViz", "NablaData", .product(name: "ArgumentParser", package: "swift-argument-parser")]),
        .testTarget(name: "NablaTrainTests", dependencies: ["NablaTrain", "NablaLabs", "NablaViz", "NablaCheckpoint", "NablaData", "NablaOptim", "NablaNN", "Nabla", "NablaTestSupport"]),
        .testTarget(name: "NablaTrustTests", dependencies: ["NablaTrust", "NablaLabs", "NablaCheckpoint", "NablaOptim", "NablaData", "NablaNN", "Nabla", "NablaTestSupport"]),
        .testTarget(name: "NablaGraphTests", dependencies: ["NablaGraph", "Nabla", "NablaNN", "NablaTestSupport"]),
        .testTarget(name: "NablaCompressionTests", dependencies: ["NablaCompression", "Nabla", "NablaNN", "NablaData", "NablaTestSupport"]),
        .testTarget(name: "NablaRLTests", dependencies: ["NablaRL", "Nabla", "NablaTestSupport"]),
        .testTarget(name: "NablaGenerativeTests", dependencies: ["NablaGenerative", "Nabla", "NablaNN", "NablaTestSupport"]),
        .testTarget(name: "NablaBoardTests", dependencies: ["NablaBoard"]),
        .testTarget(name: "NablaLanguageTests", dependencies: ["NablaLanguage", "Nabla", "NablaNN", "NablaData", "NablaTestSupport"]),
        .testTarget(name: "NablaTransferTests", dependencies: ["NablaTransfer", "Nabla", "NablaNN", "NablaTestSupport"]),
        .testTarget(name: "NablaLabsTests", dependencies: ["NablaLabs", "NablaTrain", "NablaClassic", "NablaGraph", "NablaData", "Nabla", "NablaNN", "NablaOptim", "NablaViz", "NablaTestSupport"]),
    ],
    swiftLanguageModes: [.v5]
)
