import Foundation
import Nabla
import NablaNN

/// The identity on the way forward and −λ times the gradient on the way back: the gradient reversal
/// layer of DANN (Ganin & Lempitsky, 2015). Put between a feature extractor and a domain classifier, it
/// lets the classifier learn to tell the domains apart while the features learn to make it fail.
///
/// Built from recorded operations, c + (x − c)·(−λ) with c = x detached: the value is c exactly (x − c
/// is 0), and the only recorded path from x has slope −λ. So gradients of gradients pass through too.
///
/// ```swift
/// let domainLogits = domainClassifier(reversingGradient(features, scale: 0.3))
/// ```
public func reversingGradient(_ input: Tensor, scale lambda: Float) -> Tensor {
    let constant = input.detached()
    return constant + (input - constant) * (-lambda)
}

/// `reversingGradient` as a layer, with its λ settable between steps (DANN raises it during training).
/// Shapes: any → the same. No parameters.
public final class GradientReversal: Module, Layer {
    public var lambda: Float

    public init(lambda: Float = 1) {
        self.lambda = lambda
        super.init()
    }

    public func callAsFunction(_ input: Tensor) -> Tensor { reversingGradient(input, scale: lambda) }

    /// DANN's schedule: λ = 2 / (1 + exp(−γ p)) − 1 at training progress p in [0, 1] (γ = 10 in the
    /// paper), so the domain signal starts at 0, while the domain classifier is still noise, and grows to ~1.
    public static func scheduledLambda(progress: Double, gamma: Double = 10) -> Float {
        Float(2 / (1 + exp(-gamma * progress)) - 1)
    }
}
