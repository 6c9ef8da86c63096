import Foundation
@testable import Nabla
import NablaTestSupport
import Testing

// Like PyTorch's version counter: a tensor that a recorded operation's backward rule reads may not be
// modified in place before backward runs, or the gradient would silently use the new values. Writes
// in place count on the storage (`Storage.version`); backward stops with a message naming the operation.

private func expectMessage(_ result: ExitTest.Result?, contains parts: [String], sourceLocation: SourceLocation = #_sourceLocation) {
    guard let result else { return }
    let message = String(decoding: result.standardErrorContent, as: UTF8.self)
    for part in parts {
        #expect(message.contains(part), "message lacks \"\(part)\": \(message)", sourceLocation: sourceLocation)
    }
}

@Suite struct InPlaceModificationTests {
    @Test func assigningASavedInputStopsBackward() async {
        expectMessage(await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            let x = Tensor([1, 2, 3], requiresGrad: true), w = Tensor([4, 5, 6])
            let y = x * w
            w.assign(Tensor([0, 0, 0]))
            y.sum().backward()
        }, contains: ["backward of multiply", "(shape [3])", "modified in place", "version 1, expected 0"])
    }

    @Test func writingALeafThroughItsBufferStopsBackward() async {
        expectMessage(await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            let x = Tensor(rows: [[1, 2], [3, 4]], requiresGrad: true)
            let loss = matmul(x, x).sum()
            x.withUnsafeMutableBufferPointer { $0[0] = 10 }
            loss.backward()
        }, contains: ["backward of matmul", "(shape [2, 2])", "modified in place", "version 1, expected 0"])
    }

    @Test func modifyingASavedOutputStopsBackward() async {
        // exp's rule reads its own output, so that output may not change either (here through a view).
        expectMessage(await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            let x = Tensor([1, 2, 3, 4], requiresGrad: true)
            let y = x.exp()
            y.detached().reshaped([2, 2]).assign(Tensor.zeros([2, 2]))
            y.sum().backward()
        }, contains: ["backward of exp", "modified in place", "version 1, expected 0"])
    }

    @Test func writesCountOnTheStorageSharedWithViews() {
        let x = Tensor.zeros([2, 3])
        #expect(x.storage.version == 0)
        x.assign(Tensor.ones([2, 3]))
        x.transposed().assign(Tensor.ones([3, 2]))
        x.withUnsafeMutableBufferPointer { $0[0] = 2 }
        #expect(x.storage.version == 3)
        _ = x * 2 + x.exp()   // reading and new results leave it alone
        #expect(x.storage.version == 3)
    }

    @Test func modifyingWhatNoRuleReadsIsAllowed() {
        // Adding reads neither input: both may change before backward, as in PyTorch.
        let x = Tensor([1, 2], requiresGrad: true), b = Tensor([3, 4])
        let y = (x + b).sum()
        b.assign(Tensor([0, 0]))
        y.backward()
        expectValues(x.grad!, [1, 1], "∂Σ(x + b)/∂x")
        // `+=` makes a new tensor instead of writing the old one, so the graph keeps its values.
        var z = x * x
        let kept = z
        z += Tensor([10, 10])
        (kept.sum() + z.sum()).backward()
        expectValues(x.grad!, [1 + 4, 1 + 8], "accumulated ∂/∂x")
    }

    @Test func trainingThatRecordsAgainEachStepIsUnaffected() {
        // Plain gradient descent on (w − 3)²: each step writes w in place after backward, and the next
        // step's graph is recorded afresh, so no check ever trips.
        let w = Tensor([0, 1], requiresGrad: true)
        for step in 1...20 {
            w.grad = nil
            let loss = ((w - 3) * (w - 3)).sum()
            loss.backward()
            withoutGradients { w.assign(w - w.grad! * 0.1) }
            #expect(w.storage.version == step)
        }
        expectClose(w, [3, 3], "w after 20 steps", tolerance: Tolerance(absolute: 0.1, relative: 0))
    }
}
