import Foundation
import Nabla
import NablaGenerative
import NablaTestSupport
import Testing

// GAN losses against their definitions on sigmoid probabilities, and WGAN-GP's penalty against PyTorch.
@Suite struct AdversarialLossTests {
    let real: [Double] = [2.0, -0.5, 1.0], fake: [Double] = [-1.5, 0.25, 3.0]
    func sigmoid(_ x: Double) -> Double { 1 / (1 + exp(-x)) }
    func column(_ values: [Double]) -> Tensor { Tensor(values.map(Float.init), shape: [values.count, 1]) }

    @Test func discriminatorAndGeneratorLossesMatchDefinitions() {
        let discriminator = discriminatorLoss(realLogits: column(real), fakeLogits: column(fake))
        let expected = -real.map { log(sigmoid($0)) }.reduce(0, +) / 3 - fake.map { log(1 - sigmoid($0)) }.reduce(0, +) / 3
        expectClose(discriminator.item, expected, "−E log D(x) − E log(1 − D(G(z)))", tolerance: .exact)
        let original = generatorLoss(.original, fakeLogits: column(fake))
        expectClose(original.item, fake.map { log(1 - sigmoid($0)) }.reduce(0, +) / 3, "E log(1 − D(G(z)))", tolerance: .exact)
        let nonsaturating = generatorLoss(.nonsaturating, fakeLogits: column(fake))
        expectClose(nonsaturating.item, -fake.map { log(sigmoid($0)) }.reduce(0, +) / 3, "−E log D(G(z))", tolerance: .exact)
        expectClose(generatorLoss(.wassersteinGradientPenalty, fakeLogits: column(fake)).item, -fake.reduce(0, +) / 3, "−E C(G(z))", tolerance: .exact)
        expectClose(criticLoss(realScores: column(real), fakeScores: column(fake)).item,
                    fake.reduce(0, +) / 3 - real.reduce(0, +) / 3, "E C(G(z)) − E C(x)", tolerance: .exact)
    }

    /// The golden WGAN-GP case: D = Linear(3, 8) → tanh → Linear(8, 1) at PyTorch's x̂; with mixing 1 the
    /// interpolate is the real batch itself, so the penalty and its parameter gradients must match.
    @Test func gradientPenaltyMatchesPyTorch() throws {
        let golden = try Golden.case("wgan_gp_penalty", in: "second_order.json")
        let state = try golden.tensors("state_dict")
        let names = ["0.weight", "0.bias", "2.weight", "2.bias"]
        let parameters = try names.map { name -> Tensor in
            let parameter = try #require(state[name], "state_dict lacks \(name)")
            parameter.requiresGrad = true
            return parameter
        }
        func critic(_ input: Tensor) -> Tensor {
            linear(linear(input, weight: parameters[0], bias: parameters[1]).tanh(), weight: parameters[2], bias: parameters[3])
        }
        let xHat = try golden.inputs(requiringGradients: false)["x_hat"]
        let batch = xHat.shape[0]
        let penalty = gradientPenalty(critic: critic, real: xHat, fake: Tensor.zeros(xHat.shape), mixing: Tensor.ones([batch]))
        expectClose(penalty.item, try golden.number("penalty"), "gradient penalty")
        let computed = gradients(of: penalty, withRespectTo: parameters)
        let expected = try golden.tensors("grads")
        for (name, gradient) in zip(names, computed) {
            expectClose(gradient, try #require(expected[name]), "gradient penalty: gradient of \(name)")
        }
    }

    /// The interpolate sits at ε·real + (1 − ε)·fake: a linear critic C(x) = Σ wᵢxᵢ has gradient w
    /// everywhere, so the penalty is (‖w‖ − 1)² whatever ε.
    @Test func gradientPenaltyOfLinearCritic() {
        let weight = Tensor(rows: [[3], [4]])
        let penalty = gradientPenalty(critic: { matmul($0, weight) }, real: Tensor(rows: [[1, 2], [0, 1]]),
                                      fake: Tensor(rows: [[-1, 0], [5, 5]]), mixing: Tensor([0.3, 0.8]))
        expectClose(penalty.item, 16, "(‖(3, 4)‖ − 1)²", tolerance: .exact)
    }
}
