import Nabla
import NablaOptim
import NablaTestSupport
import Testing

@Suite struct SwitchingAdamToSGDTests {
    /// Until it switches, SWATS is Adam step for step.
    @Test func adamPhaseIsAdam() {
        let generator = RandomGenerator(seed: 3)
        let a = generator.normal([5]), b = Tensor(a.scalars)
        a.requiresGrad = true
        b.requiresGrad = true
        let swats = SWATS([a], configuration: .init(learningRate: 0.01, weightDecay: 0.1))
        let adam = Adam([b], configuration: .init(learningRate: 0.01, weightDecay: 0.1))
        for _ in 0..<20 {
            let gradient = generator.normal([5])
            a.grad = gradient
            b.grad = gradient
            swats.step()
            adam.step()
        }
        #expect(swats.state(for: a)?.isUsingSGD == false)
        expectClose(a, b.scalars.map(Double.init), "SWATS before the switch", tolerance: .exact)
    }

    /// A constant gradient g makes every Adam step −γ·sign(g) (after bias correction), so the estimate
    /// pᵀp / (−pᵀg) = γ·n / ‖g‖₁ is the same at every step: it has converged at once, and the switch comes
    /// at the first step allowed.
    @Test func constantGradientSwitchesAtTheFirstAllowedStep() throws {
        let parameter = Tensor([0, 0, 0], requiresGrad: true)
        let gradient = Tensor([1, -2, 4])
        let optimizer = SWATS([parameter], configuration: .init(learningRate: 0.01, minimumAdamSteps: 10))
        for _ in 0..<10 {
            parameter.grad = gradient
            optimizer.step()
        }
        let state = try #require(optimizer.state(for: parameter))
        #expect(state.switchedAtStep == 10)
        let expected = 0.01 * 3 / 7
        let rate = try #require(state.sgdLearningRate)
        #expect(abs(rate - expected) < 1e-6 * expected + 1e-9, "SGD rate \(rate), expected γ·n/‖g‖₁ = \(expected)")

        // The first SGD step: b = g, θ ← θ − (1 − β₁)·Λ·b.
        let before = parameter.scalars.map(Double.init)
        parameter.grad = gradient
        optimizer.step()
        let step = zip(before, [1.0, -2, 4]).map { $0 - 0.1 * rate * $1 }
        expectClose(parameter, step, "first SGD step", tolerance: Tolerance(absolute: 1e-7, relative: 1e-6))
        // Schedules keep acting: halving the rate halves the SGD step.
        optimizer.learningRates = [0.005]
        let held = parameter.scalars.map(Double.init)
        parameter.grad = gradient
        optimizer.step()
        // b = 0.9·g + g = 1.9·g, rate Λ/2
        expectClose(parameter, zip(held, [1.0, -2, 4]).map { $0 - 0.1 * rate / 2 * 1.9 * $1 }, "SGD step at half the rate",
                    tolerance: Tolerance(absolute: 1e-7, relative: 1e-6))
    }

    /// A noisy quadratic ½Σaᵢ(θᵢ − cᵢ)² (curvatures 0.5 to 5): Adam first, then SGD at the estimated rate,
    /// which must be stable for the stiffest direction (below 2/max a), and training keeps the loss down.
    @Test func switchesOnANoisyQuadraticAndKeepsConverging() throws {
        let generator = RandomGenerator(seed: 11)
        let curvature = generator.uniform([10], low: 0.5, high: 5), centre = generator.normal([10])
        let parameter = Tensor.zeros([10], requiresGrad: true)
        let optimizer = SWATS([parameter], configuration: .init(learningRate: 0.01, switchTolerance: 1e-2, minimumAdamSteps: 50))
        func loss() -> Float { withoutGradients { (0.5 * curvature * (parameter - centre) * (parameter - centre)).sum().item } }
        let initialLoss = loss()
        for _ in 0..<3000 {
            parameter.grad = withoutGradients { curvature * (parameter - centre) + 0.5 * generator.normal([10]) }
            optimizer.step()
        }
        let state = try #require(optimizer.state(for: parameter))
        let switchedAt = try #require(state.switchedAtStep, "no switch in 3000 steps; last estimate \(state.lastEstimate ?? .nan), mean \(state.correctedEstimate ?? .nan)")
        let rate = try #require(state.sgdLearningRate)
        let stiffest = Double(curvature.scalars.max()!)
        #expect(switchedAt >= 50)
        #expect(rate > 0 && rate < 2 / stiffest, "SGD rate \(rate) must be stable (below \(2 / stiffest))")
        #expect(loss() < 0.05 * initialLoss, "loss \(loss()) from \(initialLoss)")
    }
}
