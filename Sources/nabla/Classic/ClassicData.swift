import Foundation
import Nabla
import NablaClassic
import NablaData

/// The data a `nabla classic` run works on: a training set and, where the data set comes with one
/// (Fashion-MNIST), its own test set.
struct ClassicRunData {
    var training: ClassicDataset
    var test: ClassicDataset?
    /// How the data was described on the command line, for the report.
    var source: String
}

/// Data sets by name: the built-in classic sets, Fashion-MNIST, generated blobs and moons, or a CSV file.
enum ClassicDataSource {
    static let generatedNames = ["blobs", "moons"]
    static let fashionName = "fashion-mnist"

    /// Every name `--data` accepts besides a CSV path.
    static var names: [String] {
        ClassicDataset.BuiltIn.allCases.map(\.rawValue) + [fashionName] + generatedNames
    }

    /// One line per named data set, for `--list`.
    static var descriptions: [(String, String)] {
        ClassicDataset.BuiltIn.allCases.map { ($0.rawValue, $0.summary) } + [
            (fashionName, "Fashion-MNIST: 60,000 + 10,000 images of 784 pixels in [0, 1], 10 classes (use --limit)"),
            ("blobs", "generated Gaussian blobs (--samples, --clusters, --seed)"),
            ("moons", "two generated interleaving half circles (--samples, --noise, --seed)"),
        ]
    }

    static func load(_ given: String, options: ClassicOptions) throws -> ClassicRunData {
        // `breast_cancer` (scikit-learn's spelling) and `breast-cancer` name the same set; so for the others.
        let name = given.hasSuffix(".csv") ? given : given.replacingOccurrences(of: "_", with: "-")
        let generator = RandomGenerator(seed: options.seed)
        if let set = ClassicDataset.BuiltIn(rawValue: name) {
            return ClassicRunData(training: try ClassicDataset.builtIn(set).prefix(options.limit ?? .max), test: nil, source: name)
        }
        switch name {
        case fashionName:
            let limit = options.limit ?? 60_000
            let training = try FashionMNIST(.training), test = try FashionMNIST(.test)
            func dataset(_ data: FashionMNIST, count: Int, part: String) -> ClassicDataset {
                let kept = min(count, data.count)
                let images = Matrix(data.images).rows(0..<kept)
                return ClassicDataset(name: "\(fashionName) (\(part))", features: images,
                                      featureNames: (0..<784).map { "pixel\($0)" },
                                      target: .classes(labels: Array(data.labels.scalars.prefix(kept)), names: FashionMNIST.classNames))
            }
            return ClassicRunData(training: dataset(training, count: limit, part: "training"),
                                  test: dataset(test, count: min(limit, 10_000), part: "test"), source: fashionName)
        case "blobs":
            let clusters = options.clusters ?? 3
            let samples = options.samples ?? 300
            if clusters < 1 || clusters > samples {
                throw ClassicCommandError("--clusters \(clusters) does not fit \(samples) generated samples; choose 1...\(samples) (or raise --samples)")
            }
            try SyntheticData.checkMemory(count: samples, dimensions: 2)
            return ClassicRunData(training: SyntheticData.blobs(samplesPerCenter: max(1, samples / clusters), centerCount: clusters,
                                                                dimensions: 2, generator: generator), test: nil, source: name)
        case "moons":
            try SyntheticData.checkMemory(count: options.samples ?? 300, dimensions: 2)
            return ClassicRunData(training: SyntheticData.moons(count: options.samples ?? 300, noise: options.noise ?? 0.1,
                                                                generator: generator), test: nil, source: name)
        default:
            // lstat, not fileExists: a dangling link or a link loop is there, and the reader says which.
            var status = stat()
            guard lstat(name, &status) == 0 else {
                throw ClassicCommandError("no data set called '\(name)' and no such file; use one of \(names.joined(separator: ", ")) or a CSV path")
            }
            var csv = try ClassicDataset.csv(name, target: options.target, classification: options.classification ? true : nil)
            if let limit = options.limit { csv = csv.prefix(limit) }
            return ClassicRunData(training: csv, test: nil, source: name)
        }
    }
}

/// A problem with the command line that the library cannot see (an unknown method, a data set
/// without the target a method needs).
struct ClassicCommandError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}
