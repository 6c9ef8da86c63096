import Foundation
import NablaGenerative
import NablaTestSupport
import Testing

// The Fréchet distance: identical sets, Gaussians with a closed form, and bad input.
@Suite struct FrechetDistanceTests {
    /// A deterministic, correlated feature set of `rows` × 3.
    func features(rows: Int, shift: Float = 0) -> [Float] {
        (0..<rows).flatMap { row -> [Float] in
            let a = sin(Float(row) * 1.3), b = cos(Float(row) * 0.7)
            return [a + shift, a * 0.5 + b, b * b - shift]
        }
    }

    @Test func identicalSetsAreAtDistanceZero() throws {
        let set = features(rows: 50)
        let distance = try frechetDistance(set, rows: 50, width: 3, set, rows: 50, width: 3)
        #expect(abs(distance) < 1e-9, "d(X, X) = \(distance)")
    }

    /// Commuting (diagonal) covariances: d² = ‖μ₁ − μ₂‖² + Σᵢ(σ₁ᵢ − σ₂ᵢ)².
    @Test func diagonalGaussiansMatchClosedForm() throws {
        let first = GaussianStatistics(mean: [1, 0, -2], covariance: [4, 0, 0, 0, 1, 0, 0, 0, 0.25])
        let second = GaussianStatistics(mean: [0, 2, -2], covariance: [1, 0, 0, 0, 9, 0, 0, 0, 0.25])
        let expected = (1.0 + 4 + 0) + (1.0 + 4 + 0)  // means 1 + 4; roots (2 − 1)² + (1 − 3)² + 0
        expectClose([try frechetDistance(first, second)], [expected], "diagonal Gaussians", tolerance: .exact)
    }

    /// Non-commuting covariances: Σ₁ = I scaled by a, so tr(Σ₁Σ₂)^½ = √a·tr Σ₂^½; Σ₂ = R·diag(λ)·Rᵀ.
    @Test func rotatedGaussianMatchesClosedForm() throws {
        let angle = 0.6, c = cos(angle), s = sin(angle), lambda = [5.0, 0.5], a = 2.0
        let covariance = [c * c * lambda[0] + s * s * lambda[1], c * s * (lambda[0] - lambda[1]),
                          c * s * (lambda[0] - lambda[1]), s * s * lambda[0] + c * c * lambda[1]]
        let first = GaussianStatistics(mean: [0, 0], covariance: [a, 0, 0, a])
        let second = GaussianStatistics(mean: [1, 1], covariance: covariance)
        let expected = 2 + 2 * a + lambda.reduce(0, +) - 2 * a.squareRoot() * lambda.map { $0.squareRoot() }.reduce(0, +)
        expectClose([try frechetDistance(first, second)], [expected], "rotated Gaussians", tolerance: .exact)
    }

    @Test func badInputIsRejected() throws {
        let set = features(rows: 10)
        #expect(throws: FrechetDistanceError.differentWidths(first: 3, second: 2)) {
            try frechetDistance(set, rows: 10, width: 3, Array(set.prefix(20)), rows: 10, width: 2)
        }
        var withNaN = set
        withNaN[7] = .nan
        #expect(throws: FrechetDistanceError.notFinite(name: "the second array", row: 2, column: 1)) {
            try frechetDistance(set, rows: 10, width: 3, withNaN, rows: 10, width: 3)
        }
        #expect(throws: FrechetDistanceError.tooFewSamples(name: "the first array", count: 0)) {
            try frechetDistance([], rows: 0, width: 3, set, rows: 10, width: 3)
        }
    }
}
