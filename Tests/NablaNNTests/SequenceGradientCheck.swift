import Nabla
@testable import NablaNN
import NablaTestSupport
import Testing

/// Central finite differences for the sequence layers (recurrent, attention, Transformer): the analytic
/// gradient of L = Σ f(inputs)·r (r fixed and random, so every output element counts with its own weight)
/// against (L(θ + h) − L(θ − h)) / 2h for every element of every input and every parameter of the module.
///
/// Step and tolerance are the core's choice for float32 (see NablaTests/GradientCheckTests.swift): with
/// h = 10⁻² the truncation and rounding errors both stay below 10⁻³ for these small, smooth models, while
/// a wrong rule is off by a sizeable part of the gradient. Models are built without kinks (tanh, GELU), so
/// no difference straddles two pieces of a function.
enum SequenceGradientCheck {
    static let step: Float = 1e-2
    static let tolerance = Tolerance(absolute: 2e-3, relative: 1e-2)

    /// Checks every input (made a leaf that requires gradients) and every parameter of `module`.
    /// Returns the largest |analytic − numeric| seen.
    @discardableResult
    static func check(_ label: String, module: Module, inputs: [Tensor], seed: UInt64 = 7,
                      sourceLocation: SourceLocation = #_sourceLocation,
                      _ function: ([Tensor]) -> Tensor) -> Double {
        let leaves = inputs.map { Tensor($0.scalars, shape: $0.shape, requiresGrad: true) }
        let parameters = module.namedParameters()
        module.zeroGradients()
        let output = function(leaves)
        let weights = RandomGenerator(seed: seed).normal(output.shape)
        (output * weights).sum().backward()
        let weightValues = weights.scalars.map(Double.init)

        func loss() -> Double {
            withoutGradients {
                let values = function(leaves).scalars
                return zip(values, weightValues).reduce(0) { $0 + Double($1.0) * $1.1 }
            }
        }
        // Perturbs one element of `tensor` in place (inputs are fresh leaves, parameters are restored).
        func numeric(_ tensor: Tensor, _ element: Int) -> Double {
            let original = tensor.withUnsafeMutableBufferPointer { $0[element] }
            let (plus, minus) = (original + step, original - step)
            tensor.withUnsafeMutableBufferPointer { $0[element] = plus }
            let upper = loss()
            tensor.withUnsafeMutableBufferPointer { $0[element] = minus }
            let lower = loss()
            tensor.withUnsafeMutableBufferPointer { $0[element] = original }
            return (upper - lower) / (Double(plus) - Double(minus))
        }

        var largest = 0.0
        let targets = leaves.enumerated().map { ("input \($0.offset)", $0.element) } + parameters.map { ($0.name, $0.tensor) }
        for (name, tensor) in targets {
            guard let analytic = tensor.grad?.scalars else {
                Issue.record("\(label): no gradient reached \(name)", sourceLocation: sourceLocation)
                continue
            }
            let expected = (0..<tensor.count).map { numeric(tensor, $0) }
            largest = Swift.max(largest, expectClose(analytic.map(Double.init), expected, "\(label): gradient of \(name)",
                                                     tolerance: tolerance, sourceLocation: sourceLocation))
        }
        return largest
    }
}
