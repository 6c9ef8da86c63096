import Nabla
import NablaOptim
import NablaTestSupport
import Testing

// The update loops split large parameters into one chunk per core. Run as on 1, 3, 8, 16, 64 and 96
// cores, every rule must give one core's parameters: bit for bit where each element's update reads only
// that element, closely where chunks' partial sums are added (SWATS's projections, gradient norms).
@Suite struct CoreCountOptimizerTests {
    /// 100 chunks' worth at the optimisers' 2¹⁶ elements per chunk divided by 64, and a ragged tail.
    static let count = 100 * 1024 + 3
    static let divisor = 64

    @Test(arguments: OptimizerBehaviourTests.families)
    func updateRules(_ family: String) {
        let generator = RandomGenerator(seed: 21)
        let start = generator.normal([Self.count]), gradients = [generator.normal([Self.count]), generator.normal([Self.count])]
        let tolerance: Tolerance? = family == "SWATS" ? Tolerance(absolute: 1e-6, relative: 1e-5) : nil
        expectSameOnAnyCoreCount("\(family) over \(Self.count) elements", tolerance: tolerance, minimumChunkDivisor: Self.divisor, tensors: {
            let parameter = Tensor(start.scalars, shape: start.shape, requiresGrad: true)
            let optimizer = OptimizerBehaviourTests.make(family, [parameter])
            for gradient in gradients {
                parameter.grad = gradient
                optimizer.step()
            }
            return [parameter]
        })
    }

    @Test func gradientClipping() {
        let generator = RandomGenerator(seed: 22)
        let gradient = generator.normal([Self.count])
        expectSameOnAnyCoreCount("clipped gradient and its norm", tolerance: Tolerance(absolute: 1e-7, relative: 1e-5),
                                 minimumChunkDivisor: Self.divisor) {
            let parameter = Tensor.zeros([Self.count])
            parameter.requiresGrad = true
            parameter.grad = Tensor(gradient.scalars, shape: gradient.shape)
            let norm = clipGradientNorm([parameter], maximumNorm: 1)
            return [norm] + parameter.grad!.scalars.map(Double.init)
        }
    }
}
