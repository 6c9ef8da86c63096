#if canImport(Glibc)
import Glibc
#endif

// Arithmetic primitives with broadcasting. Each backward rule sits under its operation; gradients may
// come back in the broadcast shape, and the engine sums them down to each input's shape.

extension Tensor {
    public static func + (a: Tensor, b: Tensor) -> Tensor {
        record(zipElements(a, b, operation: "add", Elementwise.Add()), "add", [a, b], saves: .nothing) { g, _ in [g, g] }
    }

    public static func - (a: Tensor, b: Tensor) -> Tensor {
        record(zipElements(a, b, operation: "subtract", Elementwise.Subtract()), "subtract", [a, b], saves: .nothing) { g, _ in [g, -g] }
    }

    public static func * (a: Tensor, b: Tensor) -> Tensor {
        record(zipElements(a, b, operation: "multiply", Elementwise.Multiply()), "multiply", [a, b]) { g, _ in
            [a.requiresGrad ? g * b : nil, b.requiresGrad ? g * a : nil]
        }
    }

    public static func / (a: Tensor, b: Tensor) -> Tensor {
        record(zipElements(a, b, operation: "divide", Elementwise.Divide()), "divide", [a, b], saves: .inputsAndOutput) { g, y in
            // d(a/b)/db = -a/b² = -y/b
            [a.requiresGrad ? g / b : nil, b.requiresGrad ? -(g * y) / b : nil]
        }
    }

    public static prefix func - (x: Tensor) -> Tensor {
        record(mapElements(x, Elementwise.Negate()), "negate", [x], saves: .nothing) { g, _ in [-g] }
    }

    // Scalars on either side become rank-0 tensors and broadcast.
    public static func + (a: Tensor, b: Float) -> Tensor { a + Tensor(scalar: b) }
    public static func + (a: Float, b: Tensor) -> Tensor { Tensor(scalar: a) + b }
    public static func - (a: Tensor, b: Float) -> Tensor { a - Tensor(scalar: b) }
    public static func - (a: Float, b: Tensor) -> Tensor { Tensor(scalar: a) - b }
    public static func * (a: Tensor, b: Float) -> Tensor { a * Tensor(scalar: b) }
    public static func * (a: Float, b: Tensor) -> Tensor { Tensor(scalar: a) * b }
    public static func / (a: Tensor, b: Float) -> Tensor { a / Tensor(scalar: b) }
    public static func / (a: Float, b: Tensor) -> Tensor { Tensor(scalar: a) / b }

    public static func += (a: inout Tensor, b: Tensor) { a = a + b }
    public static func -= (a: inout Tensor, b: Tensor) { a = a - b }
    public static func *= (a: inout Tensor, b: Tensor) { a = a * b }

    /// eˣ, element-wise.
    public func exp() -> Tensor {
        record(mapElements(self, Elementwise.Exp()), "exp", [self], saves: .output) { g, y in [g * y] }
    }

    /// Natural logarithm, element-wise.
    public func log() -> Tensor {
        record(mapElements(self, Elementwise.Log()), "log", [self]) { g, _ in [g / self] }
    }

    /// Square root, element-wise.
    public func sqrt() -> Tensor {
        record(mapElements(self, Elementwise.SquareRoot()), "sqrt", [self], saves: .output) { g, y in [g / (y * 2)] }
    }

    /// `self` raised to a constant power.
    public func pow(_ exponent: Float) -> Tensor {
        if exponent == 2 { return record(mapElements(self, Elementwise.Square()), "square", [self]) { g, _ in [g * self * 2] } }
        return record(mapElements(self, Elementwise.Power(exponent: exponent)), "pow", [self]) { g, _ in
            [g * self.pow(exponent - 1) * exponent]
        }
    }

    /// `self` raised to `exponent`, element-wise with broadcasting.
    public func pow(_ exponent: Tensor) -> Tensor {
        record(zipElements(self, exponent, operation: "pow", Elementwise.PowerOf()), "pow", [self, exponent], saves: .inputsAndOutput) { g, y in
            [g * exponent * self.pow(exponent - 1), exponent.requiresGrad ? g * y * self.log() : nil]
        }
    }

    /// |x|, element-wise; the gradient at zero is zero, as in PyTorch.
    public func abs() -> Tensor {
        record(mapElements(self, Elementwise.Absolute()), "abs", [self]) { g, _ in [g * self.sign()] }
    }

    /// −1, 0 or 1 by the sign of each element; no gradient flows.
    public func sign() -> Tensor {
        mapElements(self, Elementwise.Sign())
    }

    /// The Gauss error function, element-wise.
    public func erf() -> Tensor {
        record(mapElements(self, Elementwise.ErrorFunction()), "erf", [self]) { g, _ in
            [g * (-(self * self)).exp() * (2 / Float.pi.squareRoot())]
        }
    }

    /// Values limited to `[minimum, maximum]`; the gradient flows where the value was inside.
    public func clamped(min minimum: Float = -.infinity, max maximum: Float = .infinity) -> Tensor {
        precondition(minimum <= maximum, "clamped: min \(minimum) is greater than max \(maximum)")
        return record(mapElements(self, Elementwise.Clamp(minimum: minimum, maximum: maximum)), "clamp", [self]) { g, _ in
            [g * mapElements(self, Elementwise.Inside(minimum: minimum, maximum: maximum))]
        }
    }
}

/// The element-wise larger of `a` and `b`; where they tie, each gets half the gradient (as PyTorch).
public func maximum(_ a: Tensor, _ b: Tensor) -> Tensor {
    record(zipElements(a, b, operation: "maximum", Elementwise.Maximum()), "maximum", [a, b]) { g, _ in
        let share = zipElements(a, b, operation: "maximum", Elementwise.MaximumShare())
        return [g * share, g * (1 - share)]
    }
}

/// The element-wise smaller of `a` and `b`; where they tie, each gets half the gradient (as PyTorch).
public func minimum(_ a: Tensor, _ b: Tensor) -> Tensor {
    record(zipElements(a, b, operation: "minimum", Elementwise.Minimum()), "minimum", [a, b]) { g, _ in
        let share = zipElements(a, b, operation: "minimum", Elementwise.MinimumShare())
        return [g * share, g * (1 - share)]
    }
}

/// Picks `a` where `condition` is non-zero and `b` elsewhere, with broadcasting over all three.
public func `where`(_ condition: Tensor, _ a: Tensor, _ b: Tensor) -> Tensor {
    let result = selectElements(condition, a, b, operation: "where")
    return record(result, "where", [a, b], saves: .nothing) { g, _ in
        let zero = Tensor(scalar: 0)
        return [`where`(condition, g, zero), `where`(condition, zero, g)]
    }
}

/// Comparisons give 1 where the relation holds and 0 elsewhere; they carry no gradient.
extension Tensor {
    public static func .> (a: Tensor, b: Tensor) -> Tensor { zipElements(a, b, operation: ".>", Elementwise.Greater()) }
    public static func .< (a: Tensor, b: Tensor) -> Tensor { zipElements(a, b, operation: ".<", Elementwise.Less()) }
    public static func .>= (a: Tensor, b: Tensor) -> Tensor { zipElements(a, b, operation: ".>=", Elementwise.GreaterOrEqual()) }
    public static func .<= (a: Tensor, b: Tensor) -> Tensor { zipElements(a, b, operation: ".<=", Elementwise.LessOrEqual()) }
    public static func .== (a: Tensor, b: Tensor) -> Tensor { zipElements(a, b, operation: ".==", Elementwise.Equal()) }
    public static func .!= (a: Tensor, b: Tensor) -> Tensor { zipElements(a, b, operation: ".!=", Elementwise.NotEqual()) }
    public static func .> (a: Tensor, b: Float) -> Tensor { a .> Tensor(scalar: b) }
    public static func .< (a: Tensor, b: Float) -> Tensor { a .< Tensor(scalar: b) }
    public static func .>= (a: Tensor, b: Float) -> Tensor { a .>= Tensor(scalar: b) }
    public static func .<= (a: Tensor, b: Float) -> Tensor { a .<= Tensor(scalar: b) }
    public static func .== (a: Tensor, b: Float) -> Tensor { a .== Tensor(scalar: b) }
    public static func .!= (a: Tensor, b: Float) -> Tensor { a .!= Tensor(scalar: b) }
}
