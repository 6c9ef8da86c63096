import Nabla
import NablaNN
import Testing

// Initialisers checked by their defining statistics on large draws, and orthogonality by QᵀQ = I.

@Suite struct InitializationTests {
    private let generator = RandomGenerator(seed: 7)

    private func statistics(_ tensor: Tensor) -> (mean: Float, deviation: Float, largest: Float) {
        let values = tensor.scalars
        let mean = values.reduce(0, +) / Float(values.count)
        let variance = values.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / Float(values.count)
        return (mean, variance.squareRoot(), values.map(abs).max() ?? 0)
    }

    @Test func fansFollowPyTorch() {
        #expect(Initialization.fans([64, 32, 3, 3]) == (fanIn: 288, fanOut: 576))
        #expect(Initialization.fans([10, 784]) == (fanIn: 784, fanOut: 10))
    }

    @Test func xavierUniformStaysInsideItsBoundWithTheRightSpread() {
        // a = √(6 / (fanIn + fanOut)) = √(6 / 600) = 0.1; a uniform's deviation is a/√3.
        let weights = Initialization.xavierUniform([300, 300], generator: generator)
        let (mean, deviation, largest) = statistics(weights)
        #expect(largest <= 0.1 && largest > 0.099)
        #expect(abs(mean) < 0.002 && abs(deviation - 0.1 / Float(3).squareRoot()) < 0.002)
    }

    @Test func kaimingNormalHasDeviationGainOverRootFan() {
        // ReLU gain √2, fanIn 500: σ = √2/√500 = 0.0632.
        let weights = Initialization.kaimingNormal([400, 500], nonlinearity: .relu, generator: generator)
        let (mean, deviation, _) = statistics(weights)
        #expect(abs(mean) < 0.001 && abs(deviation - 0.063_245_6) < 0.001)
    }

    @Test func kaimingUniformWithRootFiveSlopeIsPyTorchsDefault() {
        let weights = Initialization.kaimingUniform([200, 100], nonlinearity: .leakyRelu(negativeSlope: Float(5).squareRoot()), generator: generator)
        #expect(abs(statistics(weights).largest - 0.1) < 0.001)   // 1/√fanIn
    }

    @Test func orthogonalRowsOrColumnsAreOrthonormal() {
        for shape in [[6, 4], [4, 6], [5, 5]] {
            let q = Initialization.orthogonal(shape, gain: 2, generator: generator)
            // The smaller dimension's vectors are orthonormal (scaled by the gain²).
            let gram = shape[0] >= shape[1] ? matmul(q.T, q) : matmul(q, q.T)
            let size = min(shape[0], shape[1])
            let expected = Tensor.eye(size).scalars.map { $0 * 4 }
            for (value, target) in zip(gram.scalars, expected) { #expect(abs(value - target) < 1e-4, "shape \(shape)") }
        }
    }

    @Test func resetWritesInPlaceAndZerosAndConstantsAreExact() {
        let layer = Linear(inputSize: 3, outputSize: 2, generator: generator)
        let storage = layer.weight.storage
        Initialization.reset(layer.weight, to: Initialization.constant([2, 3], value: 0.5))
        Initialization.reset(layer.bias!, to: Initialization.zeros([2]))
        #expect(layer.weight.storage === storage)
        #expect(layer.weight.scalars == [Float](repeating: 0.5, count: 6))
        #expect(layer.bias!.scalars == [0, 0])
        #expect(layer.weight.requiresGrad)
    }
}
