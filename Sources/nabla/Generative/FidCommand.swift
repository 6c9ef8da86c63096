import ArgumentParser
import Foundation
import NablaData
import NablaGenerative

/// `nabla fid A.npy B.npy`: the Fréchet distance between two arrays of samples, each (N, …) with every
/// sample flattened to one feature row (feature vectors, or raw images).
struct FidCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "fid",
        abstract: "Print the Fréchet distance between two .npy arrays of features (or images), one sample per row.",
        discussion: """
        Each array is (N, …) with N ≥ 2; every sample is flattened to one row, and both arrays need the same \
        width. The distance is ‖μ₁ − μ₂‖² + tr Σ₁ + tr Σ₂ − 2·tr (Σ₁Σ₂)^½ with covariances over N − 1, the \
        square root through LAPACK's symmetric eigensolver in double precision.
        """
    )

    @Argument(help: ArgumentHelp("The first .npy array.", valueName: "A.npy")) var first: String
    @Argument(help: ArgumentHelp("The second .npy array.", valueName: "B.npy")) var second: String
    @Flag(help: "Print one JSON line instead of text.") var json = false

    func run() throws {
        let (a, aRows, aWidth) = try Self.load(first)
        let (b, bRows, bWidth) = try Self.load(second)
        let distance: Double
        do {
            distance = try frechetDistance(a, rows: aRows, width: aWidth, b, rows: bRows, width: bWidth)
        } catch let error as FrechetDistanceError {
            throw failure("\(error) (\(first): \(aRows)×\(aWidth), \(second): \(bRows)×\(bWidth))")
        }
        if json {
            print("{\"fid\": \(distance), \"first\": {\"rows\": \(aRows), \"width\": \(aWidth)}, \"second\": {\"rows\": \(bRows), \"width\": \(bWidth)}}")
        } else {
            print("Fréchet distance \(String(format: "%.6g", distance))  (\(aRows) vs \(bRows) samples of width \(aWidth))")
        }
    }

    /// The array's values as float32 rows: (N, …) flattened to N × (product of the rest).
    static func load(_ path: String) throws -> (values: [Float], rows: Int, width: Int) {
        let array: NPYArray
        do { array = try NPY.read(path) } catch { throw failure("\(error) (expected a .npy array)") }
        guard array.shape.count >= 1, array.shape[0] >= 2 else {
            throw failure("\(path): shape \(array.shape) holds fewer than 2 samples; the Fréchet distance needs an (N, …) array with N ≥ 2")
        }
        let width = array.shape.dropFirst().reduce(1, *)
        guard width >= 1 else { throw failure("\(path): shape \(array.shape) has no features per sample") }
        // Integer arrays (uint8 images) count as their values.
        let values = array.dataType.isInteger ? try array.intTensor().scalars.map(Float.init) : array.tensor().scalars
        return (values, array.shape[0], width)
    }
}
