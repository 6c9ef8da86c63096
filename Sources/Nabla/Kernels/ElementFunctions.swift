#if canImport(Glibc)
import Glibc
#endif

// The scalar functions behind the element-wise kernels, one small value type each.
//
// Kernels are generic over these types rather than taking closures: a generic kernel is specialised
// per function, so the scalar code is inlined into the loop. A closure captured by the work handed to
// another core stays an indirect call per element, which measured 3× slower on a 10M-element add.

protocol UnaryElementFunction {
    func callAsFunction(_ x: Float) -> Float
    /// Whether `callAsFunction(_: SIMD16<Float>)` is a real vector form rather than lane by lane.
    static var isVectorized: Bool { get }
    func callAsFunction(_ x: SIMD16<Float>) -> SIMD16<Float>
}

extension UnaryElementFunction {
    static var isVectorized: Bool { false }
    func callAsFunction(_ x: SIMD16<Float>) -> SIMD16<Float> {
        var result = x
        for lane in 0..<16 { result[lane] = self(x[lane]) }
        return result
    }
}
protocol BinaryElementFunction { func callAsFunction(_ a: Float, _ b: Float) -> Float }

enum Elementwise {
    struct Negate: UnaryElementFunction { func callAsFunction(_ x: Float) -> Float { -x } }
    struct Exp: UnaryElementFunction {
        static var isVectorized: Bool { true }
        func callAsFunction(_ x: Float) -> Float { expf(x) }
        func callAsFunction(_ x: SIMD16<Float>) -> SIMD16<Float> { vectorExp(x) }
    }
    struct Log: UnaryElementFunction { func callAsFunction(_ x: Float) -> Float { logf(x) } }
    struct SquareRoot: UnaryElementFunction { func callAsFunction(_ x: Float) -> Float { x.squareRoot() } }
    struct Square: UnaryElementFunction { func callAsFunction(_ x: Float) -> Float { x * x } }
    struct Power: UnaryElementFunction { let exponent: Float; func callAsFunction(_ x: Float) -> Float { powf(x, exponent) } }
    struct Absolute: UnaryElementFunction { func callAsFunction(_ x: Float) -> Float { Swift.abs(x) } }
    struct Sign: UnaryElementFunction { func callAsFunction(_ x: Float) -> Float { x > 0 ? 1 : (x < 0 ? -1 : 0) } }
    struct ErrorFunction: UnaryElementFunction { func callAsFunction(_ x: Float) -> Float { erff(x) } }
    struct Clamp: UnaryElementFunction {
        let minimum: Float, maximum: Float
        func callAsFunction(_ x: Float) -> Float { Swift.min(Swift.max(x, minimum), maximum) }
    }
    /// 1 inside [minimum, maximum], 0 outside: where a clamp passes its gradient.
    struct Inside: UnaryElementFunction {
        let minimum: Float, maximum: Float
        func callAsFunction(_ x: Float) -> Float { x >= minimum && x <= maximum ? 1 : 0 }
    }
    /// The value, or zero where it is infinite or NaN.
    struct FiniteOrZero: UnaryElementFunction { func callAsFunction(_ x: Float) -> Float { x.isFinite ? x : 0 } }

    struct Relu: UnaryElementFunction { func callAsFunction(_ x: Float) -> Float { x > 0 ? x : 0 } }
    struct LeakyRelu: UnaryElementFunction {
        let slope: Float
        func callAsFunction(_ x: Float) -> Float { x > 0 ? x : x * slope }
    }
    /// The derivative of leaky ReLU: 1 or the slope.
    struct LeakyReluSlope: UnaryElementFunction {
        let slope: Float
        func callAsFunction(_ x: Float) -> Float { x > 0 ? 1 : slope }
    }
    /// 1 / (1 + e⁻ˣ) without overflow for large |x|.
    struct Sigmoid: UnaryElementFunction {
        static var isVectorized: Bool { true }
        /// 1 / (1 + e⁻ˣ); e⁻ˣ overflowing to infinity gives exactly 0, as it should.
        func callAsFunction(_ x: SIMD16<Float>) -> SIMD16<Float> { 1 / (1 + vectorExp(-x)) }
        func callAsFunction(_ x: Float) -> Float {
            if x >= 0 { return 1 / (1 + expf(-x)) }
            let e = expf(x)
            return e / (1 + e)
        }
    }
    struct HyperbolicTangent: UnaryElementFunction { func callAsFunction(_ x: Float) -> Float { tanhf(x) } }
    struct GELU: UnaryElementFunction {
        func callAsFunction(_ x: Float) -> Float { 0.5 * x * (1 + erff(x * 0.707_106_781_186_547_5)) }
    }
    struct GELUTanh: UnaryElementFunction {
        func callAsFunction(_ x: Float) -> Float { 0.5 * x * (1 + tanhf(0.797_884_560_802_865_4 * (x + 0.044715 * x * x * x))) }
    }
    struct SiLU: UnaryElementFunction {
        static var isVectorized: Bool { true }
        func callAsFunction(_ x: Float) -> Float { x / (1 + expf(-x)) }
        func callAsFunction(_ x: SIMD16<Float>) -> SIMD16<Float> { x / (1 + vectorExp(-x)) }
    }
    struct Softplus: UnaryElementFunction {
        let threshold: Float
        func callAsFunction(_ x: Float) -> Float { x > threshold ? x : log1pf(expf(x)) }
    }
    struct HardSigmoid: UnaryElementFunction { func callAsFunction(_ x: Float) -> Float { Swift.min(Swift.max(x / 6 + 0.5, 0), 1) } }
    /// The derivative of the hard sigmoid: 1/6 on (−3, 3), 0 elsewhere.
    struct HardSigmoidSlope: UnaryElementFunction { func callAsFunction(_ x: Float) -> Float { x > -3 && x < 3 ? 1.0 / 6 : 0 } }

    /// The first value where the second is positive, else 0 (ReLU's backward pass).
    struct PassWherePositive: BinaryElementFunction { func callAsFunction(_ a: Float, _ b: Float) -> Float { b > 0 ? a : 0 } }
    struct Add: BinaryElementFunction { func callAsFunction(_ a: Float, _ b: Float) -> Float { a + b } }
    struct Subtract: BinaryElementFunction { func callAsFunction(_ a: Float, _ b: Float) -> Float { a - b } }
    struct Multiply: BinaryElementFunction { func callAsFunction(_ a: Float, _ b: Float) -> Float { a * b } }
    struct Divide: BinaryElementFunction { func callAsFunction(_ a: Float, _ b: Float) -> Float { a / b } }
    struct PowerOf: BinaryElementFunction { func callAsFunction(_ a: Float, _ b: Float) -> Float { powf(a, b) } }
    struct Maximum: BinaryElementFunction { func callAsFunction(_ a: Float, _ b: Float) -> Float { a.isNaN || b.isNaN ? .nan : Swift.max(a, b) } }
    struct Minimum: BinaryElementFunction { func callAsFunction(_ a: Float, _ b: Float) -> Float { a.isNaN || b.isNaN ? .nan : Swift.min(a, b) } }
    /// The share of a maximum's gradient that goes to `a`: 1 if it won, ½ on a tie, 0 if it lost.
    struct MaximumShare: BinaryElementFunction { func callAsFunction(_ a: Float, _ b: Float) -> Float { a > b ? 1 : (a == b ? 0.5 : 0) } }
    struct MinimumShare: BinaryElementFunction { func callAsFunction(_ a: Float, _ b: Float) -> Float { a < b ? 1 : (a == b ? 0.5 : 0) } }
    struct Greater: BinaryElementFunction { func callAsFunction(_ a: Float, _ b: Float) -> Float { a > b ? 1 : 0 } }
    struct Less: BinaryElementFunction { func callAsFunction(_ a: Float, _ b: Float) -> Float { a < b ? 1 : 0 } }
    struct GreaterOrEqual: BinaryElementFunction { func callAsFunction(_ a: Float, _ b: Float) -> Float { a >= b ? 1 : 0 } }
    struct LessOrEqual: BinaryElementFunction { func callAsFunction(_ a: Float, _ b: Float) -> Float { a <= b ? 1 : 0 } }
    struct Equal: BinaryElementFunction { func callAsFunction(_ a: Float, _ b: Float) -> Float { a == b ? 1 : 0 } }
    struct NotEqual: BinaryElementFunction { func callAsFunction(_ a: Float, _ b: Float) -> Float { a != b ? 1 : 0 } }
}
