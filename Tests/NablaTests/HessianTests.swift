import NablaTestSupport
import Testing
@testable import Nabla

// `hessian(of:withRespectTo:)` and `hessianVectorProduct`: a case derived by hand, then a small
// two-layer network checked against central differences of its gradient.

@Suite struct HessianTests {
    /// f = Σ x³ + x₀·x₁·y, with x (2) and y (1): ∂²f/∂x₀² = 6x₀, ∂²f/∂x₀∂x₁ = y, ∂²f/∂x₀∂y = x₁, ...
    @Test func handDerivedHessianOverTwoInputs() {
        let x = Tensor([1, 2], requiresGrad: true)
        let y = Tensor([3], requiresGrad: true)
        let f = (x * x * x).sum() + (x.sliced(axis: 0, start: 0, end: 1) * x.sliced(axis: 0, start: 1, end: 2) * y).sum()
        let h = hessian(of: f, withRespectTo: [x, y])
        // Order: x₀, x₁, y.   rows: [6x₀, y, x₁], [y, 6x₁, x₀], [x₁, x₀, 0]
        expectClose(h, Tensor([6, 3, 2, 3, 12, 1, 2, 1, 0], shape: [3, 3]), "Hessian", tolerance: .exact)
    }

    /// A function linear in its input has a zero Hessian (the recorded gradient does not depend on it).
    @Test func linearFunctionHasZeroHessian() {
        let x = Tensor([1, -2, 4], requiresGrad: true)
        let h = hessian(of: (x * 3).sum(), withRespectTo: [x])
        #expect(h.shape == [3, 3] && h.scalars.allSatisfy { $0 == 0 })
    }

    /// Hessian of a tanh network's squared error over its weights: symmetric, equal to central
    /// differences of the gradient, and its product with a vector equals `hessianVectorProduct`.
    @Test func networkHessianMatchesDifferencesOfGradients() {
        let generator = RandomGenerator(seed: 7)
        let inputs = generator.normal([5, 2]), targets = generator.normal([5, 1])
        let first = generator.normal([2, 3], standardDeviation: 0.7), second = generator.normal([3, 1], standardDeviation: 0.7)
        func loss(_ parameters: [Tensor]) -> Tensor {
            let prediction = matmul(matmul(inputs, parameters[0]).tanh(), parameters[1])
            return ((prediction - targets) * (prediction - targets)).mean()
        }
        let parameters = [first, second].map { Tensor($0.scalars, shape: $0.shape, requiresGrad: true) }
        let h = hessian(of: loss(parameters), withRespectTo: parameters)
        #expect(h.shape == [9, 9])
        expectClose(h, h.T.contiguous(), "symmetry", tolerance: .exact)

        // Column j ≈ (∇L(θ + εeⱼ) − ∇L(θ − εeⱼ)) / 2ε, in float32 with ε = 1e-2 (error O(ε²)).
        let flat = parameters.flatMap(\.scalars), epsilon: Float = 1e-2
        func gradientAt(_ values: [Float]) -> [Float] {
            let shifted = [Tensor(Array(values[0..<6]), shape: [2, 3]), Tensor(Array(values[6...]), shape: [3, 1])]
            return valueAndGradient(at: shifted, of: loss).gradients.flatMap(\.scalars)
        }
        var differences = [Float]()
        for column in 0..<9 {
            var plus = flat, minus = flat
            plus[column] += epsilon
            minus[column] -= epsilon
            differences += zip(gradientAt(plus), gradientAt(minus)).map { ($0 - $1) / (2 * epsilon) }
        }
        // `differences` holds columns; the Hessian is symmetric, so compare with its transpose.
        expectClose(h.T.contiguous(), Tensor(differences, shape: [9, 9]), "finite differences",
                    tolerance: Tolerance(absolute: 2e-3, relative: 1e-2))

        let vector = [generator.normal([2, 3]), generator.normal([3, 1])]
        let product = hessianVectorProduct(of: loss(parameters), withRespectTo: parameters, vector: vector)
        let expected = matmul(h, Tensor(vector.flatMap(\.scalars), shape: [9, 1]))
        expectClose(Tensor(product.flatMap(\.scalars), shape: [9, 1]), expected, "H·v", tolerance: .golden)
    }
}
