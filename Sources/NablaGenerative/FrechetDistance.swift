import CNablaBLAS
import Foundation

/// Why two feature sets cannot be compared.
public enum FrechetDistanceError: Error, CustomStringConvertible, Equatable {
    case tooFewSamples(name: String, count: Int)
    case differentWidths(first: Int, second: Int)
    case notFinite(name: String, row: Int, column: Int)
    case eigendecompositionFailed(status: Int32)

    public var description: String {
        switch self {
        case .tooFewSamples(let name, let count):
            return "Fréchet distance: \(name) has \(count) samples; each set needs at least 2 (sample counts must be positive)"
        case .differentWidths(let first, let second):
            return "Fréchet distance: the feature arrays have different widths (\(first) and \(second)); extract both with the same feature extractor"
        case .notFinite(let name, let row, let column):
            return "Fréchet distance: \(name) holds NaN or infinity at row \(row), column \(column); remove or fix that sample"
        case .eigendecompositionFailed(let status):
            return "Fréchet distance: LAPACK dsyevd failed with status \(status)"
        }
    }
}

/// A feature set's mean and (unbiased, N − 1) covariance, in double precision.
public struct GaussianStatistics: Sendable {
    public let mean: [Double]
    /// Row-major width × width.
    public let covariance: [Double]
    public var width: Int { mean.count }

    public init(mean: [Double], covariance: [Double]) {
        precondition(covariance.count == mean.count * mean.count, "GaussianStatistics: covariance must be \(mean.count)×\(mean.count)")
        self.mean = mean
        self.covariance = covariance
    }

    /// Statistics of `rows` samples of `width` features, stored row-major in `features`.
    public init(features: [Float], rows: Int, width: Int, name: String = "the feature array") throws {
        guard rows >= 2 else { throw FrechetDistanceError.tooFewSamples(name: name, count: rows) }
        precondition(features.count == rows * width, "GaussianStatistics: \(features.count) values are not \(rows)×\(width)")
        if let bad = features.firstIndex(where: { !$0.isFinite }) {
            throw FrechetDistanceError.notFinite(name: name, row: bad / width, column: bad % width)
        }
        var mean = [Double](repeating: 0, count: width)
        for row in 0..<rows { for column in 0..<width { mean[column] += Double(features[row * width + column]) } }
        for column in 0..<width { mean[column] /= Double(rows) }
        var centred = [Double](repeating: 0, count: rows * width)
        for row in 0..<rows { for column in 0..<width { centred[row * width + column] = Double(features[row * width + column]) - mean[column] } }
        // covariance = centredᵀ·centred / (N − 1), as numpy.cov(rowvar=False).
        var covariance = [Double](repeating: 0, count: width * width)
        cblas_dgemm(CblasRowMajor, CblasTrans, CblasNoTrans, Int32(width), Int32(width), Int32(rows),
                    1 / Double(rows - 1), centred, Int32(width), centred, Int32(width), 0, &covariance, Int32(width))
        self.init(mean: mean, covariance: covariance)
    }
}

/// d² = ‖μ₁ − μ₂‖² + tr Σ₁ + tr Σ₂ − 2·tr (Σ₁Σ₂)^½, the Fréchet (2-Wasserstein) distance between two
/// Gaussians, as used by FID.
///
/// tr (Σ₁Σ₂)^½ is computed as tr (Σ₁^½ Σ₂ Σ₁^½)^½: the two matrices are similar, and the second is
/// symmetric positive semi-definite, so both square roots come from LAPACK's symmetric eigensolver with
/// eigenvalues clamped at zero (round-off can make tiny ones negative), never from a general sqrtm.
public func frechetDistance(_ first: GaussianStatistics, _ second: GaussianStatistics) throws -> Double {
    guard first.width == second.width else { throw FrechetDistanceError.differentWidths(first: first.width, second: second.width) }
    let width = first.width
    let meanTerm = zip(first.mean, second.mean).reduce(0) { $0 + ($1.0 - $1.1) * ($1.0 - $1.1) }
    let traces = (0..<width).reduce(0) { $0 + first.covariance[$1 * width + $1] + second.covariance[$1 * width + $1] }
    let rootFirst = try symmetricSquareRoot(first.covariance, width: width)
    var product = [Double](repeating: 0, count: width * width)
    var sandwich = [Double](repeating: 0, count: width * width)
    cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, Int32(width), Int32(width), Int32(width),
                1, rootFirst, Int32(width), second.covariance, Int32(width), 0, &product, Int32(width))
    cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, Int32(width), Int32(width), Int32(width),
                1, product, Int32(width), rootFirst, Int32(width), 0, &sandwich, Int32(width))
    let rootTrace = try symmetricEigenvalues(sandwich, width: width).reduce(0) { $0 + max($1, 0).squareRoot() }
    return meanTerm + traces - 2 * rootTrace
}

/// The Fréchet distance between two feature arrays, each row-major `rows × width`.
public func frechetDistance(_ first: [Float], rows firstRows: Int, width firstWidth: Int,
                            _ second: [Float], rows secondRows: Int, width secondWidth: Int) throws -> Double {
    guard firstWidth == secondWidth else { throw FrechetDistanceError.differentWidths(first: firstWidth, second: secondWidth) }
    return try frechetDistance(GaussianStatistics(features: first, rows: firstRows, width: firstWidth, name: "the first array"),
                               GaussianStatistics(features: second, rows: secondRows, width: secondWidth, name: "the second array"))
}

/// Eigenvalues (ascending) of a symmetric row-major matrix, and its eigenvectors in `vectors` if asked.
private func symmetricEigenvalues(_ matrix: [Double], width: Int, vectors: UnsafeMutablePointer<[Double]>? = nil) throws -> [Double] {
    var entries = matrix
    // Symmetrise first: products of symmetric matrices are symmetric only up to round-off.
    for row in 0..<width { for column in (row + 1)..<max(width, row + 1) {
        let average = (entries[row * width + column] + entries[column * width + row]) / 2
        entries[row * width + column] = average
        entries[column * width + row] = average
    } }
    var values = [Double](repeating: 0, count: width)
    let job = Int8(UInt8(ascii: vectors == nil ? "N" : "V"))
    let status = LAPACKE_dsyevd(LAPACK_ROW_MAJOR, job, Int8(UInt8(ascii: "U")), Int32(width), &entries, Int32(width), &values)
    guard status == 0 else { throw FrechetDistanceError.eigendecompositionFailed(status: status) }
    vectors?.pointee = entries
    return values
}

/// S^½ = V·diag(√max(λ, 0))·Vᵀ for a symmetric positive semi-definite S.
private func symmetricSquareRoot(_ matrix: [Double], width: Int) throws -> [Double] {
    var vectors: [Double] = []
    let values = try symmetricEigenvalues(matrix, width: width, vectors: &vectors)
    var scaled = vectors
    for row in 0..<width { for column in 0..<width { scaled[row * width + column] *= max(values[column], 0).squareRoot() } }
    var root = [Double](repeating: 0, count: width * width)
    cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasTrans, Int32(width), Int32(width), Int32(width),
                1, scaled, Int32(width), vectors, Int32(width), 0, &root, Int32(width))
    return root
}
