import Foundation
import Nabla
import NablaOptim
import NablaTestSupport
import Testing

@Suite struct GradientClippingTests {
    /// Gradients (3, 4) and (12): joint 2-norm 13, 1-norm 19, ∞-norm 12.
    func parameters() -> [Tensor] {
        let a = Tensor([0, 0], requiresGrad: true), b = Tensor([0], requiresGrad: true)
        a.grad = Tensor([3, 4])
        b.grad = Tensor([12])
        return [a, b, Tensor([5], requiresGrad: true)]   // the last has no gradient and is skipped
    }

    @Test func normsOfAllGradientsTogether() {
        #expect(abs(gradientNorm(parameters()) - 13) < 1e-9)
        #expect(abs(gradientNorm(parameters(), normType: 1) - 19) < 1e-9)
        #expect(gradientNorm(parameters(), normType: .infinity) == 12)
        // p = 3: (27 + 64 + 1728)^(1/3)
        #expect(abs(gradientNorm(parameters(), normType: 3) - pow(1819, 1.0 / 3)) < 1e-9)
        #expect(gradientNorm([Tensor([1])]) == 0)
    }

    @Test func clippingByNormScalesByMaximumOverNormPlusEpsilon() {
        let clipped = parameters()
        let norm = clipGradientNorm(clipped, maximumNorm: 6.5)
        #expect(abs(norm - 13) < 1e-9, "returns the norm before clipping")
        let coefficient = 6.5 / (13 + 1e-6)   // PyTorch's divisor
        expectClose(clipped[0].grad!, [3 * coefficient, 4 * coefficient], "first gradient")
        expectClose(clipped[1].grad!, [12 * coefficient], "second gradient")
        #expect(clipped[2].grad == nil)
        #expect(abs(gradientNorm(clipped) - 6.5) < 1e-5)
    }

    @Test func gradientsWithinTheNormAreLeftAlone() {
        let unclipped = parameters()
        let before = unclipped[0].grad!
        #expect(abs(clipGradientNorm(unclipped, maximumNorm: 13.5) - 13) < 1e-9)
        #expect(unclipped[0].grad === before)
    }

    @Test func clippingByInfinityNorm() {
        let clipped = parameters()
        clipGradientNorm(clipped, maximumNorm: 6, normType: .infinity)
        expectClose(clipped[1].grad!, [12 * 6 / (12 + 1e-6)], "largest element brought to the maximum")
    }

    /// Both inputs of an addition receive one gradient tensor; clipping must scale each parameter's once.
    @Test func sharedGradientTensorsAreEachScaledOnce() {
        let a = Tensor([1, 1], requiresGrad: true), b = Tensor([1, 1], requiresGrad: true)
        ((a + b) * Tensor([3, 4])).sum().backward()
        #expect(a.grad!.scalars == [3, 4] && b.grad!.scalars == [3, 4])
        let norm = clipGradientNorm([a, b], maximumNorm: 1)
        #expect(abs(norm - 50.0.squareRoot()) < 1e-6)
        let coefficient = 1 / (50.0.squareRoot() + 1e-6)
        expectClose(a.grad!, [3 * coefficient, 4 * coefficient], "a")
        expectClose(b.grad!, [3 * coefficient, 4 * coefficient], "b")
    }

    @Test func clippingABroadcastGradient() {
        let weight = Tensor([1, 2, 3], requiresGrad: true)
        (weight.sum() * 10).backward()                    // gradient: a stride-0 view of one 10
        clipGradientNorm([weight], maximumNorm: 3.0.squareRoot())
        expectClose(weight.grad!, [1, 1, 1], "each element", tolerance: .exact)
    }

    @Test func clippingByValueClampsEachElement() {
        let weight = Tensor([0, 0, 0, 0], requiresGrad: true)
        weight.grad = Tensor([-3, -0.2, 0.4, 7])
        clipGradientValues([weight], maximum: 0.5)
        #expect(weight.grad!.scalars == [-0.5, -0.2, 0.4, 0.5])
    }

    @Test func penaltiesAndTheirGradients() {
        let a = Tensor([1, -2], requiresGrad: true), b = Tensor([0, 3], requiresGrad: true)
        let l2 = l2Penalty([a, b])
        #expect(l2.item == 14)
        l2.backward()
        #expect(a.grad!.scalars == [2, -4] && b.grad!.scalars == [0, 6])   // d(Σθ²)/dθ = 2θ

        a.grad = nil
        b.grad = nil
        let l1 = l1Penalty([a, b])
        #expect(l1.item == 6)
        l1.backward()
        #expect(a.grad!.scalars == [1, -1] && b.grad!.scalars == [0, 1])   // sign(θ), 0 at 0

        #expect(l2Penalty([]).item == 0)
        #expect(elasticNetPenalty([a, b], l1Weight: 0.5, l2Weight: 0.25).item == 6.5)
    }

    /// An L2 penalty of λ/2·Σθ² in the loss is SGD's weight decay λ.
    @Test func halfL2PenaltyEqualsWeightDecay() {
        let penalised = Tensor([1, -2], requiresGrad: true), decayed = Tensor([1, -2], requiresGrad: true)
        let first = SGD([penalised], configuration: .init(learningRate: 0.1))
        let second = SGD([decayed], configuration: .init(learningRate: 0.1, weightDecay: 0.2))
        ((penalised * Tensor([1, 1])).sum() + 0.1 * l2Penalty([penalised])).backward()
        decayed.grad = Tensor([1, 1])
        first.step()
        second.step()
        expectClose(penalised, decayed.scalars.map(Double.init), "penalty versus decay")
    }
}
