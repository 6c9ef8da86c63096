import Foundation
import NablaTestSupport
import Testing
@testable import Nabla

// Gradients of gradients: PyTorch's reference values in second_order.json (a Hessian-vector product, a
// full Hessian with its eigenvalues, the WGAN-GP penalty), then small cases derived by hand.

/// A leaf that requires gradients, holding `values`.
private func leaf(_ values: [Float], shape: [Int]? = nil) -> Tensor {
    Tensor(values, shape: shape ?? [values.count], requiresGrad: true)
}

@Suite struct SecondOrderTests {
    /// Every case in second_order.json has a test below; a new one must get one.
    @Test func everySecondOrderCaseIsCovered() throws {
        let names = try Golden.cases(in: "second_order.json").map(\.name)
        #expect(names.sorted() == ["hessian_small", "hvp_tanh_matmul", "wgan_gp_penalty"],
                "second_order.json cases changed: \(names)")
    }

    /// g = ∂/∂x Σ tanh(x·w)², then ∂/∂(x, w) Σ g·v: a Hessian-vector product, including the mixed
    /// x–w block that only exists if the backward of matmul is itself recorded.
    @Test func hessianVectorProductThroughTanhAndMatmul() throws {
        let golden = try Golden.case("hvp_tanh_matmul", in: "second_order.json")
        let inputs = try golden.inputs(requiringGradients: true)
        let x = inputs["x"], w = inputs["w"], v = inputs["v"].detached()
        let value = matmul(x, w).tanh().pow(2).sum()
        let g = gradients(of: value, withRespectTo: [x], createGraph: true)[0]
        expectClose(g, try golden.tensor("g"), "hvp: g = ∂f/∂x")
        #expect(g.requiresGrad, "hvp: with createGraph the gradient must itself be differentiable")
        let second = gradients(of: (g * v).sum(), withRespectTo: [x, w])
        let expected = try golden.tensors("grads")
        expectClose(second[0], try #require(expected["x"]), "hvp: gradient of Σ g·v for x")
        expectClose(second[1], try #require(expected["w"]), "hvp: gradient of Σ g·v for w")
    }

    /// The full 5×5 Hessian, one row per second backward pass, and its eigenvalues.
    @Test func fullHessianAndItsEigenvalues() throws {
        let golden = try Golden.case("hessian_small", in: "second_order.json")
        let x = try golden.inputs(requiringGradients: true)["x"]
        // f(x) = Σx² · Σσ(x) + Π exp(0.3·x). Nabla has no product reduction, and
        // Π exp(0.3·xᵢ) = exp(0.3·Σxᵢ) exactly, so the same function is written with a sum.
        let value = x.pow(2).sum() * x.sigmoid().sum() + (x.sum() * 0.3).exp()
        let g = gradients(of: value, withRespectTo: [x], createGraph: true)[0]
        let rows = (0..<5).map { row in
            gradients(of: g.sliced(axis: 0, start: row, end: row + 1).sum(), withRespectTo: [x])[0]
        }
        let hessian = Tensor.stack(rows, axis: 0)
        expectClose(hessian, try golden.tensor("hessian"), "Hessian")
        expectClose(hessian, hessian.T.contiguous(), "Hessian symmetry")
        expectClose(symmetricEigenvalues(hessian), try golden.tensor("eigenvalues"), "Hessian eigenvalues (ascending)")
    }

    /// WGAN-GP: gp = mean((‖∂D(x̂)/∂x̂‖₂ − 1)²) with D = Linear(3, 8) → tanh → Linear(8, 1), and gp's
    /// gradient for each parameter of D (which passes through the gradient ∂D/∂x̂).
    @Test func wassersteinGradientPenaltyAndParameterGradients() throws {
        let golden = try Golden.case("wgan_gp_penalty", in: "second_order.json")
        let state = try golden.tensors("state_dict")
        let parameterNames = ["0.weight", "0.bias", "2.weight", "2.bias"]
        let parameters = try parameterNames.map { name -> Tensor in
            let parameter = try #require(state[name], "state_dict lacks \(name)")
            parameter.requiresGrad = true
            return parameter
        }
        func discriminator(_ input: Tensor) -> Tensor {
            linear(linear(input, weight: parameters[0], bias: parameters[1]).tanh(), weight: parameters[2], bias: parameters[3])
        }
        let xHat = try golden.inputs(requiringGradients: true)["x_hat"]
        let inputGradient = gradients(of: discriminator(xHat).sum(), withRespectTo: [xHat], createGraph: true)[0]
        let penalty = (inputGradient.norm(axes: [1]) - 1).pow(2).mean()
        expectClose(penalty.item, try golden.number("penalty"), "gradient penalty")

        let computed = gradients(of: penalty, withRespectTo: parameters)
        let expected = try golden.tensors("grads")
        for (name, gradient) in zip(parameterNames, computed) {
            expectClose(gradient, try #require(expected[name]), "gradient penalty: gradient of \(name)")
        }
    }

    // MARK: Derived by hand

    /// [[2, 1], [1, 2]] has eigenvalues 1 and 3 with eigenvectors (1, −1)/√2 and (1, 1)/√2; a diagonal
    /// matrix's eigenvalues are its diagonal, sorted ascending.
    @Test func symmetricEigenvaluesOfKnownMatrices() {
        expectClose(symmetricEigenvalues(Tensor(rows: [[2, 1], [1, 2]])), [1, 3], "eigenvalues of [[2, 1], [1, 2]]")
        expectClose(symmetricEigenvalues(Tensor(rows: [[5, 0, 0], [0, -2, 0], [0, 0, 1]])), [-2, 1, 5], "diagonal, ascending")
        let matrix = Tensor(rows: [[4, 1, -2], [1, 2, 0], [-2, 0, 3]])
        let (values, vectors) = symmetricEigen(matrix)
        // A·V = V·diag(λ): each column is an eigenvector of its eigenvalue.
        expectClose(matmul(matrix, vectors), vectors * values, "A·V = V·Λ")
        expectClose(matmul(vectors.T, vectors), Tensor.eye(3), "orthonormal eigenvectors")
    }

    /// f = x³: f′ = 3x², f″ = 6x, f‴ = 6.
    @Test func cubeDerivativesUpToThirdOrder() {
        let x = leaf([1, 2, -3, 0.5])
        let first = gradients(of: (x * x * x).sum(), withRespectTo: [x], createGraph: true)[0]
        expectClose(first, [3, 12, 27, 0.75], "3x²", tolerance: .exact)
        let second = gradients(of: first.sum(), withRespectTo: [x], createGraph: true)[0]
        expectClose(second, [6, 12, -18, 3], "6x", tolerance: .exact)
        let third = gradients(of: second.sum(), withRespectTo: [x])[0]
        expectClose(third, [6, 6, 6, 6], "6", tolerance: .exact)
    }

    /// t = tanh x: t′ = 1 − t², t″ = −2t(1 − t²), t‴ = (6t² − 2)(1 − t²).
    @Test func tanhDerivativesUpToThirdOrder() {
        let values: [Float] = [-1.3, -0.4, 0.2, 0.9, 2.1]
        let x = leaf(values)
        let first = gradients(of: x.tanh().sum(), withRespectTo: [x], createGraph: true)[0]
        let second = gradients(of: first.sum(), withRespectTo: [x], createGraph: true)[0]
        let third = gradients(of: second.sum(), withRespectTo: [x])[0]
        let t = values.map { Double(tanh(Double($0))) }
        expectClose(first.scalars.map(Double.init), t.map { 1 - $0 * $0 }, "tanh′")
        expectClose(second.scalars.map(Double.init), t.map { -2 * $0 * (1 - $0 * $0) }, "tanh″")
        expectClose(third.scalars.map(Double.init), t.map { (6 * $0 * $0 - 2) * (1 - $0 * $0) }, "tanh‴")
    }

    /// f = exp(2x): the n-th derivative is 2ⁿ·exp(2x), so f‴ = 8·exp(2x).
    @Test func exponentialThirdDerivative() {
        let values: [Float] = [-0.5, 0, 0.3, 0.8]
        let x = leaf(values)
        var derivative = (x * 2).exp().sum()
        for _ in 0..<2 { derivative = gradients(of: derivative, withRespectTo: [x], createGraph: true)[0].sum() }
        let third = gradients(of: derivative, withRespectTo: [x])[0]
        expectClose(third.scalars.map(Double.init), values.map { 8 * exp(2 * Double($0)) }, "8·exp(2x)")
    }

    /// s = σ(x): s′ = s(1 − s), s″ = s(1 − s)(1 − 2s).
    @Test func sigmoidSecondDerivative() {
        let values: [Float] = [-2, -0.5, 0, 1.5]
        let x = leaf(values)
        let first = gradients(of: x.sigmoid().sum(), withRespectTo: [x], createGraph: true)[0]
        let second = gradients(of: first.sum(), withRespectTo: [x])[0]
        let s = values.map { 1 / (1 + exp(-Double($0))) }
        expectClose(second.scalars.map(Double.init), s.map { $0 * (1 - $0) * (1 - 2 * $0) }, "σ″")
    }

    /// f = x²·y³: ∂²f/∂y∂x = 6·x·y², the same whichever variable is differentiated first.
    @Test func mixedPartialDerivativesAgree() {
        let x = leaf([1.5, -2]), y = leaf([0.5, 3])
        let f = (x.pow(2) * y.pow(3)).sum()
        let (gx, gy) = { (g: [Tensor]) in (g[0], g[1]) }(gradients(of: f, withRespectTo: [x, y], createGraph: true))
        let dydx = gradients(of: gx.sum(), withRespectTo: [y])[0]   // ∂/∂y (2x·y³) = 6x·y²
        let dxdy = gradients(of: gy.sum(), withRespectTo: [x])[0]   // ∂/∂x (3x²·y²) = 6x·y²
        expectClose(dydx, [2.25, -108], "∂²f/∂y∂x", tolerance: .exact)
        expectClose(dxdy, [2.25, -108], "∂²f/∂x∂y", tolerance: .exact)
    }

    /// Without createGraph the gradient is a plain value: it records nothing and requires no gradient.
    @Test func gradientsWithoutCreateGraphAreConstants() {
        let x = leaf([1, 2])
        let g = gradients(of: (x * x).sum(), withRespectTo: [x])[0]
        #expect(!g.requiresGrad)
        #expect(g.isLeaf)
        // Used in a new computation with x, it acts as a constant: d/dx Σ g·x = g = 2x.
        expectClose(gradients(of: (g * x).sum(), withRespectTo: [x])[0], [2, 4], "g treated as a constant", tolerance: .exact)
    }

    /// `backward(createGraph:)` leaves a differentiable `.grad`: d/dx of (d/dx x⁴) = 12x².
    @Test func backwardWithCreateGraphKeepsGradDifferentiable() throws {
        let x = leaf([1, -2])
        x.pow(4).sum().backward(createGraph: true)
        let grad = try #require(x.grad)
        expectClose(grad, [4, -32], "4x³", tolerance: .exact)
        #expect(grad.requiresGrad)
        expectClose(gradients(of: grad.sum(), withRespectTo: [x])[0], [12, 48], "12x²", tolerance: .exact)
    }
}
