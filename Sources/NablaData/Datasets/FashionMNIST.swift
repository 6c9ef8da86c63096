#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Nabla

/// Fashion-MNIST (Zalando): 28×28 grey images of clothing in 10 classes, 60,000 for training and 10,000
/// for testing, read from the four IDX files (gzip-compressed or not).
///
/// The folder is, in order of preference: the `folder` argument, the `NABLA_FASHION_MNIST` environment
/// variable, or Debian's `dataset-fashion-mnist` package location `/usr/share/datasets/fashion-mnist`.
/// When the files are missing, the error says how to install them.
///
/// Images are `N×1×28×28` float32 in [0, 1] (byte / 255, as torchvision's `ToTensor`); labels are class
/// numbers 0–9, named by `classNames`.
///
/// ```swift
/// let training = try FashionMNIST(.training)
/// training.images.shape          // [60000, 1, 28, 28]
/// FashionMNIST.classNames[training.labels.scalars[0]]   // "Ankle boot"
/// ```
public struct FashionMNIST: Dataset {
    /// Which of the two published parts to read.
    public enum Split: String, Sendable {
        case training = "train"
        case test = "t10k"

        var imagesFile: String { "\(rawValue)-images-idx3-ubyte" }
        var labelsFile: String { "\(rawValue)-labels-idx1-ubyte" }
    }

    /// Where Debian's `dataset-fashion-mnist` installs the files.
    public static let defaultFolder = "/usr/share/datasets/fashion-mnist"
    /// The environment variable that names another folder.
    public static let environmentVariable = "NABLA_FASHION_MNIST"
    /// Class names, indexed by label.
    public static let classNames = ["T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
                                    "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot"]
    /// Mean and standard deviation of the training pixels in [0, 1], for `Normalize`.
    public static let mean: Float = 0.2860
    public static let standardDeviation: Float = 0.3530

    public let split: Split
    /// The folder the files were read from.
    public let folder: String
    /// `N×1×28×28`, values in [0, 1].
    public let images: Tensor
    /// `N` class numbers in 0..<10.
    public let labels: IntTensor
    private let storage: TensorDataset

    /// Reads one split. Throws `DataError`: `.notFound` with installation advice when the files are
    /// missing, or a format error naming the file when one is damaged.
    public init(_ split: Split, folder: String? = nil) throws {
        let folder = FashionMNIST.resolveFolder(folder)
        let imagesPath = try FashionMNIST.locate(split.imagesFile, in: folder)
        let labelsPath = try FashionMNIST.locate(split.labelsFile, in: folder)
        let imageArray = try IDX.read(imagesPath, expecting: .unsignedByte, rank: 3)
        let labelArray = try IDX.read(labelsPath, expecting: .unsignedByte, rank: 1)
        guard imageArray.shape[1] == 28 && imageArray.shape[2] == 28 else {
            throw DataError(.invalidFormat, file: imagesPath,
                            "holds images of \(describeShape(Array(imageArray.shape.dropFirst()))) pixels, not 28×28; is this Fashion-MNIST?")
        }
        guard imageArray.shape[0] == labelArray.shape[0] else {
            throw DataError(.invalidFormat, file: labelsPath,
                            "holds \(labelArray.shape[0]) labels but \(imagesPath) holds \(imageArray.shape[0]) images; the two files must come from the same split")
        }
        let labels = try labelArray.intTensor()
        if let bad = labels.scalars.firstIndex(where: { $0 > 9 }) {
            throw DataError(.invalidFormat, file: labelsPath, "label \(labels.scalars[bad]) at position \(bad) is not a class in 0...9")
        }
        self.split = split
        self.folder = folder
        self.images = imageArray.tensor(dividingBy: 255).reshaped([imageArray.shape[0], 1, 28, 28])
        self.labels = labels
        self.storage = TensorDataset(features: images, labels: labels)
    }

    public var count: Int { labels.count }
    public var exampleShape: [Int] { [1, 28, 28] }
    public func batch(at indices: [Int]) -> Batch { storage.batch(at: indices) }

    /// The folder to read: the argument, else the environment variable, else Debian's location.
    public static func resolveFolder(_ folder: String? = nil) -> String {
        resolveFolder(folder, environmentValue: getenv(environmentVariable).map { String(cString: $0) })
    }

    /// The same choice with the variable's value given, so tests need not change the process environment.
    static func resolveFolder(_ folder: String?, environmentValue: String?) -> String {
        if let folder, !folder.isEmpty { return folder }
        if let environmentValue, !environmentValue.isEmpty { return environmentValue }
        return defaultFolder
    }

    /// `name.gz` if present, else `name`; otherwise an error that says how to get the data.
    private static func locate(_ name: String, in folder: String) throws -> String {
        for candidate in [joinPath(folder, name + ".gz"), joinPath(folder, name)] where FileReading.exists(candidate) {
            return candidate
        }
        let advice = folder == defaultFolder
            ? "install Debian's package with `sudo apt-get install dataset-fashion-mnist`, or set \(environmentVariable) to a folder holding the four Fashion-MNIST IDX files"
            : "put the four Fashion-MNIST IDX files there (\(name).gz or \(name), and the other three), point \(environmentVariable) or the folder option elsewhere, or install Debian's copy with `sudo apt-get install dataset-fashion-mnist`"
        let place = FileReading.isFolder(folder) ? "\(name).gz (or \(name)) is not in \(folder)" : "the folder \(folder) does not exist"
        throw DataError(.notFound, file: "Fashion-MNIST", "\(place); \(advice)")
    }
}
