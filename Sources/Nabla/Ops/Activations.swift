// Activation functions: each forward pass is one fused element-wise kernel; each backward rule is
// written with tensor operations, so second derivatives (gradient penalties, MAML) come for free.

extension Tensor {
    /// max(x, 0).
    public func relu() -> Tensor {
        record(mapElements(self, Elementwise.Relu()), "relu", [self]) { g, _ in [g.passed(wherePositive: self)] }
    }

    /// This gradient where `input` > 0 and zero elsewhere: ReLU's backward pass in one kernel. Its own
    /// derivative with respect to the gradient is the same mask (ReLU's second derivative is zero).
    func passed(wherePositive input: Tensor) -> Tensor {
        record(zipElements(self, input, operation: "relu backward", Elementwise.PassWherePositive()), "reluBackward", [self]) { g, _ in
            [g.passed(wherePositive: input)]
        }
    }

    /// x for x > 0, `negativeSlope`·x otherwise (PyTorch's default slope is 0.01).
    public func leakyRelu(negativeSlope: Float = 0.01) -> Tensor {
        record(mapElements(self, Elementwise.LeakyRelu(slope: negativeSlope)), "leakyRelu", [self]) { g, _ in
            [g * mapElements(self, Elementwise.LeakyReluSlope(slope: negativeSlope))]
        }
    }

    /// 1 / (1 + e⁻ˣ), computed without overflow for large |x|.
    public func sigmoid() -> Tensor {
        record(mapElements(self, Elementwise.Sigmoid()), "sigmoid", [self], saves: .output) { g, y in [g * y * (1 - y)] }
    }

    /// Hyperbolic tangent.
    public func tanh() -> Tensor {
        record(mapElements(self, Elementwise.HyperbolicTangent()), "tanh", [self], saves: .output) { g, y in [g * (1 - y * y)] }
    }

    public enum GELUApproximation: Sendable { case none, tanh }

    /// x·Φ(x) with Φ the standard normal CDF (`approximation: .none`, PyTorch's default), or the tanh
    /// approximation 0.5x(1 + tanh(√(2/π)(x + 0.044715x³))).
    public func gelu(approximation: GELUApproximation = .none) -> Tensor {
        switch approximation {
        case .none:
            return record(mapElements(self, Elementwise.GELU()), "gelu", [self]) { g, _ in
                // d/dx xΦ(x) = Φ(x) + x·φ(x)
                let cdf = ((self * Float(0.5).squareRoot()).erf() + 1) * 0.5
                let density = (self * self * -0.5).exp() * (1 / (2 * Float.pi).squareRoot())
                return [g * (cdf + self * density)]
            }
        case .tanh:
            let scale = (2 / Float.pi).squareRoot()
            return record(mapElements(self, Elementwise.GELUTanh()), "geluTanh", [self]) { g, _ in
                let inner = ((self * self * self) * 0.044715 + self) * scale
                let t = inner.tanh()
                let innerSlope = (self * self * (3 * 0.044715) + 1) * scale
                return [g * ((t + 1) * 0.5 + self * (1 - t * t) * innerSlope * 0.5)]
            }
        }
    }

    /// x·sigmoid(x) (also called swish).
    public func silu() -> Tensor {
        record(mapElements(self, Elementwise.SiLU()), "silu", [self]) { g, _ in
            let s = self.sigmoid()
            return [g * s * (self * (1 - s) + 1)]
        }
    }

    /// log(1 + eˣ), linear above `threshold` for stability (PyTorch: beta 1, threshold 20).
    public func softplus(threshold: Float = 20) -> Tensor {
        record(mapElements(self, Elementwise.Softplus(threshold: threshold)), "softplus", [self]) { g, _ in
            [g * `where`(self .> threshold, Tensor(scalar: 1), self.sigmoid())]
        }
    }

    /// clamp(x/6 + 1/2, 0, 1).
    public func hardSigmoid() -> Tensor {
        record(mapElements(self, Elementwise.HardSigmoid()), "hardSigmoid", [self]) { g, _ in
            [g * mapElements(self, Elementwise.HardSigmoidSlope())]
        }
    }
}
