import Foundation
import Nabla
@testable import NablaData
import Testing

@Suite struct FashionMNISTTests {
    /// A folder with a miniature Fashion-MNIST training split: `count` images whose pixel (0, 0) is the
    /// image's index, and labels counting 9, 8, 7, ...
    func miniatureFolder(count: Int = 5, labelCount: Int? = nil, compressed: Bool = true) throws -> TemporaryFolder {
        let folder = TemporaryFolder()
        var pixels = [Double](repeating: 0, count: count * 28 * 28)
        for image in 0..<count {
            pixels[image * 784] = Double(image)
            pixels[image * 784 + 783] = 255
        }
        let suffix = compressed ? ".gz" : ""
        try IDX.write(pixels, shape: [count, 28, 28], as: .unsignedByte, to: folder.file("train-images-idx3-ubyte" + suffix))
        let labels = (0..<(labelCount ?? count)).map { Double(9 - $0 % 10) }
        try IDX.write(labels, shape: [labels.count], as: .unsignedByte, to: folder.file("train-labels-idx1-ubyte" + suffix))
        return folder
    }

    @Test func readsAMiniatureFolderCompressedOrPlain() throws {
        for compressed in [true, false] {
            let folder = try miniatureFolder(compressed: compressed)
            let data = try FashionMNIST(.training, folder: folder.path)
            #expect(data.count == 5)
            #expect(data.images.shape == [5, 1, 28, 28])
            #expect(data.exampleShape == [1, 28, 28])
            #expect(data.labels.scalars == [9, 8, 7, 6, 5])
            #expect(data.images[3, 0, 0, 0] == Float(3) / 255)
            #expect(data.images[3, 0, 27, 27] == 1)
            let batch = data.batch(at: [4, 1])
            #expect(batch.inputs.shape == [2, 1, 28, 28])
            #expect(batch.inputs[0, 0, 0, 0] == Float(4) / 255)
            #expect(batch.labels.scalars == [5, 8])
        }
        #expect(FashionMNIST.classNames.count == 10)
        #expect(FashionMNIST.classNames[9] == "Ankle boot" && FashionMNIST.classNames[0] == "T-shirt/top")
    }

    @Test func theFolderComesFromTheArgumentThenTheVariableThenDebian() {
        #expect(FashionMNIST.resolveFolder("/mine", environmentValue: "/variable") == "/mine")
        #expect(FashionMNIST.resolveFolder(nil, environmentValue: "/variable") == "/variable")
        #expect(FashionMNIST.resolveFolder("", environmentValue: "") == FashionMNIST.defaultFolder)
        #expect(FashionMNIST.resolveFolder(nil, environmentValue: nil) == "/usr/share/datasets/fashion-mnist")
        #expect(FashionMNIST.environmentVariable == "NABLA_FASHION_MNIST")
    }

    @Test func aMissingDataSetSaysHowToInstallIt() {
        let folder = TemporaryFolder()
        expectDataError(.notFound, containing: ["t10k-images-idx3-ubyte.gz", folder.path, "sudo apt-get install dataset-fashion-mnist",
                                                "NABLA_FASHION_MNIST"]) { try FashionMNIST(.test, folder: folder.path) }
        expectDataError(.notFound, containing: ["does not exist", "sudo apt-get install dataset-fashion-mnist"]) {
            try FashionMNIST(.training, folder: folder.file("nowhere"))
        }
    }

    @Test func filesThatDoNotMatchAreRejected() throws {
        let folder = try miniatureFolder(count: 5, labelCount: 4)
        expectDataError(.invalidFormat, containing: ["holds 4 labels", "5 images"]) { try FashionMNIST(.training, folder: folder.path) }
        // Labels where images should be: the magic number tells.
        let swapped = try miniatureFolder()
        try FileManager.default.removeItem(atPath: swapped.file("train-images-idx3-ubyte.gz"))
        try FileManager.default.copyItem(atPath: swapped.file("train-labels-idx1-ubyte.gz"), toPath: swapped.file("train-images-idx3-ubyte.gz"))
        expectDataError(.invalidFormat, containing: ["wrong magic number 0x00000801", "expected 0x00000803"]) {
            try FashionMNIST(.training, folder: swapped.path)
        }
    }

    @Test(.enabled(if: FileReading.isFolder(FashionMNIST.defaultFolder),
                   "needs Debian's dataset-fashion-mnist in /usr/share/datasets/fashion-mnist (sudo apt-get install dataset-fashion-mnist)"))
    func theRealDataSetHasTheKnownShapeAndValues() throws {
        let training = try FashionMNIST(.training, folder: FashionMNIST.defaultFolder)
        let test = try FashionMNIST(.test, folder: FashionMNIST.defaultFolder)
        #expect(training.count == 60_000 && test.count == 10_000)
        #expect(training.images.shape == [60_000, 1, 28, 28] && test.images.shape == [10_000, 1, 28, 28])
        #expect(training.labels.scalars.allSatisfy { (0..<10).contains($0) })
        #expect(training.labels.scalars[0] == 9)   // the first training image is an ankle boot
        #expect(test.labels.scalars[0] == 9)
        #expect(training.examplesPerClass(classCount: 10) == [Int](repeating: 6000, count: 10))
        // NumPy on the test images: mean 0.286849, standard deviation 0.352444 (the training images give
        // 0.286040 and 0.353024, the constants on FashionMNIST; checked on the smaller split to stay fast).
        #expect(test.images.min().item == 0 && test.images.max().item == 1)
        #expect(abs(test.images.mean().item - 0.286849) < 1e-4)
        #expect(abs(test.images.standardDeviation(unbiased: false).item - 0.352444) < 1e-4)
    }
}
