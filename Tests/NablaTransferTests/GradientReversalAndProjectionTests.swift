import Nabla
import NablaTransfer
import Testing

@Suite struct GradientReversalAndProjectionTests {
    @Test func gradientReversalIsTheIdentityForwardAndMinusLambdaBackward() {
        let x = Tensor([1.5, -2.25, 0, 3e-8, 7], requiresGrad: true)
        let layer = GradientReversal(lambda: 0.375)
        let y = layer(x)
        #expect(y.scalars.map(\.bitPattern) == x.scalars.map(\.bitPattern), "forward must be the identity, bit for bit")
        let weights = Tensor([1, 2, 3, 4, 5])
        (y * weights).sum().backward()
        #expect(x.grad!.scalars == weights.scalars.map { -0.375 * $0 })
        #expect(GradientReversal.scheduledLambda(progress: 0) == 0 && abs(GradientReversal.scheduledLambda(progress: 1) - 0.99991) < 1e-4)
    }

    @Test func averagedGEMProjectionSatisfiesItsConstraint() {
        let generator = RandomGenerator(seed: 7)
        var projected = 0
        for _ in 0..<200 {
            let g = generator.normal([50]).scalars, reference = generator.normal([50]).scalars
            let result = AveragedGradientEpisodicMemory.project(g, reference: reference)
            let dot = zip(result, reference).reduce(0) { $0 + Double($1.0) * Double($1.1) }
            let original = zip(g, reference).reduce(0) { $0 + Double($1.0) * Double($1.1) }
            let scale = zip(g, reference).reduce(0) { $0 + abs(Double($1.0) * Double($1.1)) }
            // The constraint g̃·g_ref ≥ 0 (to rounding); kept unchanged when it already held.
            #expect(dot >= -1e-5 * scale)
            if original >= 0 { #expect(result == g) } else {
                projected += 1
                #expect(abs(dot) <= 1e-5 * scale, "a projected gradient meets the constraint with equality")
                // The projection is the closest such vector: g − g̃ is parallel to g_ref.
                let difference = zip(g, result).map { Double($0 - $1) }
                let ratio = difference[0] / Double(reference[0])
                for (d, r) in zip(difference, reference) { #expect(abs(d - ratio * Double(r)) <= 1e-4 * (1 + abs(d))) }
            }
        }
        #expect(projected > 50)
    }
}
