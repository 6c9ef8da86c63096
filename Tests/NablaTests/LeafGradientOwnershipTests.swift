import Nabla
import Testing

// Leaves receive gradients they own: contiguous, and never sharing storage with another leaf or with
// the gradient the caller passed in, so in-place edits (clipping, optimisers) touch one gradient only.

@Suite struct LeafGradientOwnershipTests {
    @Test func twoLeavesFedTheSameGradientGetSeparateBuffers() {
        let a = Tensor([1, 1], requiresGrad: true), b = Tensor([1, 1], requiresGrad: true)
        ((a + b) * Tensor([3, 4])).sum().backward()
        #expect(a.grad!.storage !== b.grad!.storage)
        #expect(a.grad!.scalars == [3, 4] && b.grad!.scalars == [3, 4])
    }

    @Test func broadcastGradientsArriveContiguous() {
        let w = Tensor([1, 2, 3], requiresGrad: true)
        w.sum().backward()
        #expect(w.grad!.isContiguous && w.grad!.scalars == [1, 1, 1])
    }

    @Test func theCallersSeedIsNotAliased() {
        let x = Tensor([1, 2], requiresGrad: true)
        let seed = Tensor([5, 6])
        x.backward(gradient: seed)
        #expect(x.grad!.storage !== seed.storage)
        seed.withUnsafeMutableBufferPointer { $0[0] = 100 }
        #expect(x.grad!.scalars == [5, 6])
    }
}
