import CNablaBLAS
import Nabla

/// Weight initialisers with PyTorch's definitions (`torch.nn.init`), each drawing from an explicit
/// generator. Fans follow PyTorch: for a weight of shape (out, in, k…), fanIn = in·Πk, fanOut = out·Πk.
public enum Initialization {
    public enum FanMode: Sendable { case fanIn, fanOut }

    /// The nonlinearity a layer feeds, for the recommended gain (PyTorch's `calculate_gain`).
    public enum Nonlinearity: Sendable {
        case linear, sigmoid, tanh, relu, leakyRelu(negativeSlope: Float), selu

        public var gain: Float {
            switch self {
            case .linear, .sigmoid: return 1
            case .tanh: return 5.0 / 3
            case .relu: return Float(2).squareRoot()
            case .leakyRelu(let slope): return (2 / (1 + slope * slope)).squareRoot()
            case .selu: return 0.75
            }
        }
    }

    public static func fans(_ shape: [Int]) -> (fanIn: Int, fanOut: Int) {
        precondition(shape.count >= 2, "Initialization.fans: needs at least 2 axes, got shape \(shape)")
        let receptive = shape.dropFirst(2).reduce(1, *)
        return (shape[1] * receptive, shape[0] * receptive)
    }

    /// U(−bound, bound).
    public static func uniform(_ shape: [Int], bound: Float, generator: RandomGenerator) -> Tensor {
        generator.uniform(shape, low: -bound, high: bound)
    }

    /// Xavier/Glorot uniform: U(−a, a) with a = gain·√(6 / (fanIn + fanOut)).
    public static func xavierUniform(_ shape: [Int], gain: Float = 1, generator: RandomGenerator) -> Tensor {
        let (fanIn, fanOut) = fans(shape)
        return uniform(shape, bound: gain * (6 / Float(fanIn + fanOut)).squareRoot(), generator: generator)
    }

    /// Xavier/Glorot normal: N(0, σ²) with σ = gain·√(2 / (fanIn + fanOut)).
    public static func xavierNormal(_ shape: [Int], gain: Float = 1, generator: RandomGenerator) -> Tensor {
        let (fanIn, fanOut) = fans(shape)
        return generator.normal(shape, standardDeviation: gain * (2 / Float(fanIn + fanOut)).squareRoot())
    }

    /// Kaiming/He uniform: U(−b, b) with b = gain·√(3 / fan). PyTorch's default layer initialisation is
    /// this with `.leakyRelu(negativeSlope: √5)` and fan-in, i.e. b = 1/√fanIn.
    public static func kaimingUniform(_ shape: [Int], mode: FanMode = .fanIn, nonlinearity: Nonlinearity = .leakyRelu(negativeSlope: 0),
                                      generator: RandomGenerator) -> Tensor {
        let (fanIn, fanOut) = fans(shape)
        let fan = Float(mode == .fanIn ? fanIn : fanOut)
        return uniform(shape, bound: nonlinearity.gain * (3 / fan).squareRoot(), generator: generator)
    }

    /// Kaiming/He normal: N(0, σ²) with σ = gain / √fan.
    public static func kaimingNormal(_ shape: [Int], mode: FanMode = .fanIn, nonlinearity: Nonlinearity = .leakyRelu(negativeSlope: 0),
                                     generator: RandomGenerator) -> Tensor {
        let (fanIn, fanOut) = fans(shape)
        let fan = Float(mode == .fanIn ? fanIn : fanOut)
        return generator.normal(shape, standardDeviation: nonlinearity.gain / fan.squareRoot())
    }

    /// A (semi-)orthogonal matrix (flattened over trailing axes) from the QR decomposition of a normal
    /// matrix, with the sign correction that makes it uniformly distributed, scaled by `gain`.
    public static func orthogonal(_ shape: [Int], gain: Float = 1, generator: RandomGenerator) -> Tensor {
        precondition(shape.count >= 2, "Initialization.orthogonal: needs at least 2 axes, got shape \(shape)")
        let rows = shape[0], columns = shape.dropFirst().reduce(1, *)
        // QR of the tall orientation, then transpose back if the matrix is wide.
        let (tall, wide) = (Swift.max(rows, columns), Swift.min(rows, columns))
        var values = generator.normal([tall, wide]).scalars
        var tau = [Float](repeating: 0, count: wide)
        var status = LAPACKE_sgeqrf(LAPACK_ROW_MAJOR, Int32(tall), Int32(wide), &values, Int32(wide), &tau)
        precondition(status == 0, "Initialization.orthogonal: LAPACK sgeqrf failed with status \(status)")
        let diagonalSigns = (0..<wide).map { values[$0 * wide + $0] < 0 ? Float(-1) : 1 }
        status = LAPACKE_sorgqr(LAPACK_ROW_MAJOR, Int32(tall), Int32(wide), Int32(wide), &values, Int32(wide), &tau)
        precondition(status == 0, "Initialization.orthogonal: LAPACK sorgqr failed with status \(status)")
        for row in 0..<tall { for column in 0..<wide { values[row * wide + column] *= diagonalSigns[column] * gain } }
        var q = Tensor(values, shape: [tall, wide])
        if rows < columns { q = q.T.contiguous() }
        return Tensor(q.scalars, shape: shape)
    }

    /// N(mean, σ²).
    public static func normal(_ shape: [Int], mean: Float = 0, standardDeviation: Float = 1, generator: RandomGenerator) -> Tensor {
        generator.normal(shape, mean: mean, standardDeviation: standardDeviation)
    }

    /// All zeros (biases, or a layer that should start as "off").
    public static func zeros(_ shape: [Int]) -> Tensor { Tensor.zeros(shape) }

    /// Every element `value`.
    public static func constant(_ shape: [Int], value: Float) -> Tensor { Tensor.full(shape, value: value) }

    /// Re-initialises `parameter` in place with `values` (made with one of the functions above for its
    /// shape), so that optimisers holding the parameter see the new values.
    ///
    /// ```swift
    /// Initialization.reset(layer.weight, to: Initialization.xavierUniform(layer.weight.shape, generator: generator))
    /// Initialization.reset(layer.bias!, to: Initialization.zeros(layer.bias!.shape))
    /// ```
    public static func reset(_ parameter: Tensor, to values: Tensor) {
        precondition(values.shape == parameter.shape,
                     "Initialization.reset: values of shape \(values.shape) do not fit parameter \(parameter.shape)")
        withoutGradients { parameter.assign(values) }
    }

    /// PyTorch's default for Linear and Conv weights: U(−1/√fanIn, 1/√fanIn).
    public static func pytorchDefault(_ shape: [Int], generator: RandomGenerator) -> Tensor {
        uniform(shape, bound: 1 / Float(fans(shape).fanIn).squareRoot(), generator: generator)
    }
}
