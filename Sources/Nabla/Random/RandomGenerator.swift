#if canImport(Glibc)
import Glibc
#endif

/// A seedable pseudo-random generator (xoshiro256**, seeded through SplitMix64). Every random tensor,
/// initialisation and shuffle takes one explicitly, so any run can be repeated exactly.
///
/// ```swift
/// let generator = RandomGenerator(seed: 42)
/// let noise = generator.normal([2, 3])
/// ```
public final class RandomGenerator: RandomNumberGenerator {
    /// The four words of internal state; save and restore it to resume a random stream exactly.
    public var state: [UInt64] {
        get { [s0, s1, s2, s3] }
        set {
            precondition(newValue.count == 4 && newValue.contains { $0 != 0 }, "RandomGenerator.state: needs four words, not all zero")
            (s0, s1, s2, s3) = (newValue[0], newValue[1], newValue[2], newValue[3])
        }
    }
    private var s0: UInt64, s1: UInt64, s2: UInt64, s3: UInt64

    public init(seed: UInt64) {
        var mix = seed
        func splitMix() -> UInt64 {
            mix &+= 0x9E37_79B9_7F4A_7C15
            var z = mix
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return z ^ (z >> 31)
        }
        (s0, s1, s2, s3) = (splitMix(), splitMix(), splitMix(), splitMix())
    }

    public func next() -> UInt64 {
        let result = ((s1 &* 5) << 7 | (s1 &* 5) >> 57) &* 9
        let t = s1 << 17
        s2 ^= s0; s3 ^= s1; s1 ^= s2; s0 ^= s3
        s2 ^= t
        s3 = s3 << 45 | s3 >> 19
        return result
    }

    /// A float uniform in [0, 1) with 24 random bits.
    @inline(__always)
    public func nextUnitFloat() -> Float { Float(next() >> 40) * (1.0 / 16_777_216.0) }

    /// A standard normal value (Box–Muller on two uniform draws).
    public func nextNormal() -> Float {
        let u1 = Double(next() >> 11) * (1.0 / 9_007_199_254_740_992.0)
        let u2 = Double(next() >> 11) * (1.0 / 9_007_199_254_740_992.0)
        return Float((-2 * log(1 - u1)).squareRoot() * cos(2 * Double.pi * u2))
    }

    /// Values uniform in [low, high).
    public func uniform(_ shape: [Int], low: Float = 0, high: Float = 1) -> Tensor {
        Tensor((0..<shape.reduce(1, *)).map { _ in low + (high - low) * nextUnitFloat() }, shape: shape)
    }

    /// Normal values with the given mean and standard deviation.
    public func normal(_ shape: [Int], mean: Float = 0, standardDeviation: Float = 1) -> Tensor {
        Tensor((0..<shape.reduce(1, *)).map { _ in mean + standardDeviation * nextNormal() }, shape: shape)
    }

    /// Ones with probability `probability`, zeros otherwise.
    public func bernoulli(_ shape: [Int], probability: Float) -> Tensor {
        precondition((0...1).contains(probability), "bernoulli: probability \(probability) is outside [0, 1]")
        return Tensor((0..<shape.reduce(1, *)).map { _ in nextUnitFloat() < probability ? 1 : 0 }, shape: shape)
    }

    /// A random ordering of `0..<count` (Fisher–Yates).
    public func permutation(_ count: Int) -> [Int] {
        var values = Array(0..<count)
        var generator = self  // a reference: drawing from it advances this generator
        values.shuffle(using: &generator)
        return values
    }

    /// An integer uniform in `range`.
    public func integer(in range: Range<Int>) -> Int {
        var generator = self
        return Int.random(in: range, using: &generator)
    }
}

