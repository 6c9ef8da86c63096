import Foundation
import NablaTestSupport
import Testing
@testable import Nabla

// Broadcasting follows NumPy/PyTorch exactly; views (transpose, slice, expand, reshape of contiguous data)
// share storage and copy nothing; gradients find their way back through both; and the bookkeeping of
// autodiff (accumulation, `.grad`, no-grad scopes, detaching) behaves as in PyTorch.

/// 0, 1, 2, … in `shape`: every element tells where it came from.
private func counting(_ shape: [Int], requiresGrad: Bool = false) -> Tensor {
    Tensor((0..<shape.reduce(1, *)).map(Float.init), shape: shape, requiresGrad: requiresGrad)
}

@Suite struct BroadcastingAndViewTests {
    // MARK: Broadcasting rules

    struct ShapeCase: Sendable, CustomTestStringConvertible {
        let a: [Int], b: [Int], result: [Int]?
        var testDescription: String { "\(a) with \(b)" }
    }

    @Test(arguments: [
        ShapeCase(a: [2, 3], b: [2, 3], result: [2, 3]),
        ShapeCase(a: [2, 3], b: [3], result: [2, 3]),              // missing leading axis
        ShapeCase(a: [], b: [2, 3], result: [2, 3]),               // rank 0 fits everything
        ShapeCase(a: [], b: [], result: []),
        ShapeCase(a: [4, 1], b: [1, 5], result: [4, 5]),           // both sides stretch
        ShapeCase(a: [2, 1, 4], b: [3, 4], result: [2, 3, 4]),
        ShapeCase(a: [5, 1, 1], b: [1, 1, 2, 3], result: [1, 5, 2, 3]),
        ShapeCase(a: [1], b: [], result: [1]),
        ShapeCase(a: [0, 3], b: [1, 3], result: [0, 3]),           // a size 1 stretches to 0
        ShapeCase(a: [1, 3], b: [0, 1], result: [0, 3]),
        ShapeCase(a: [2, 3], b: [3, 2], result: nil),
        ShapeCase(a: [3], b: [4], result: nil),
        ShapeCase(a: [2, 3], b: [2], result: nil),                 // trailing axes are matched, not leading
        ShapeCase(a: [2, 1], b: [8, 4, 3], result: nil),
    ])
    func broadcastShapes(_ shapes: ShapeCase) {
        #expect(broadcastShape(shapes.a, shapes.b) == shapes.result)
        #expect(broadcastShape(shapes.b, shapes.a) == shapes.result, "broadcasting must be symmetric")
    }

    @Test func broadcastValues() {
        // [2, 3] + [3]: the row is added to each row.
        expectValues(counting([2, 3]) + Tensor([10, 20, 30]), [10, 21, 32, 13, 24, 35], shape: [2, 3])
        // [3, 1] * [1, 2]: an outer product.
        expectValues(Tensor([1, 2, 3], shape: [3, 1]) * Tensor([1, -1], shape: [1, 2]), [1, -1, 2, -2, 3, -3], shape: [3, 2])
        // rank 0 with rank 2, on either side.
        expectValues(Tensor(scalar: 2) * counting([2, 2]), [0, 2, 4, 6], shape: [2, 2])
        expectValues(counting([2, 2]) - Tensor(scalar: 1), [-1, 0, 1, 2], shape: [2, 2])
        // New leading axes: [3] with [2, 1, 3].
        expectValues(Tensor([1, 2, 3]) + Tensor([0, 10], shape: [2, 1, 1]), [1, 2, 3, 11, 12, 13], shape: [2, 1, 3])
        // A broadcast operand that is itself a non-contiguous view.
        expectValues(counting([2, 3]).T + Tensor([100, 200], shape: [1, 2]), [100, 203, 101, 204, 102, 205], shape: [3, 2])
        // Comparisons broadcast too and give 0/1.
        expectValues(counting([2, 2]) .> Tensor([0.5, 2.5]), [0, 0, 1, 1], shape: [2, 2])
    }

    // MARK: Views share storage

    @Test func transposeIsAViewWithSwappedStrides() {
        let base = counting([2, 3])
        let transposed = base.T
        #expect(transposed.storage === base.storage)
        #expect(!transposed.isContiguous)
        #expect(transposed.shape == [3, 2])
        #expect(transposed.layout.strides == [1, 3])
        #expect(transposed[2, 1] == base[1, 2])
        expectValues(transposed, [0, 3, 1, 4, 2, 5])
    }

    @Test func sliceIsAViewWithOffsetAndStride() {
        let base = counting([4, 6])
        let slice = base.sliced(axis: 1, start: 1, end: 6, step: 2)
        #expect(slice.storage === base.storage)
        #expect(!slice.isContiguous)
        #expect(slice.layout.offset == 1)
        #expect(slice.layout.strides == [6, 2])
        expectValues(slice.sliced(axis: 0, start: 2), [13, 15, 17, 19, 21, 23], shape: [2, 3])
        // A slice of whole rows is contiguous.
        #expect(base.sliced(axis: 0, start: 1, end: 3).isContiguous)
    }

    @Test func expandRepeatsWithZeroStride() {
        let base = Tensor([1, 2, 3], shape: [3, 1])
        let expanded = base.expanded(to: [2, 3, 4])
        #expect(expanded.storage === base.storage)
        #expect(!expanded.isContiguous)
        #expect(expanded.layout.strides == [0, 1, 0])
        #expect(expanded.scalars == [Float](repeating: 1, count: 4) + [Float](repeating: 2, count: 4)
            + [Float](repeating: 3, count: 4) + [Float](repeating: 1, count: 4) + [Float](repeating: 2, count: 4)
            + [Float](repeating: 3, count: 4))
    }

    @Test func reshapeOfContiguousSharesStorage() {
        let base = counting([2, 3, 4])
        for shape in [[4, 6], [24], [2, 12], [6, -1], [1, 24, 1]] {
            let reshaped = base.reshaped(shape)
            #expect(reshaped.storage === base.storage, "reshaped(\(shape)) copied")
            #expect(reshaped.scalars == base.scalars)
        }
        // Merging axes that stay contiguous inside a permuted view is still a view.
        let permuted = base.permuted([1, 2, 0])   // [3, 4, 2]; axes 0 and 1 stay adjacent in memory
        #expect(permuted.reshaped([12, 2]).storage === base.storage)
        #expect(base.unsqueezed(axis: 1).storage === base.storage)
        #expect(base.unsqueezed(axis: 1).squeezed().storage === base.storage)
        #expect(base.detached().storage === base.storage)
        #expect(base.contiguous() === base, "contiguous() of contiguous data returns the tensor itself")
    }

    @Test func reshapeOfTransposedCopiesAndIsRight() {
        let base = counting([2, 3])
        let reshaped = base.T.reshaped([6])
        #expect(reshaped.storage !== base.storage, "a transpose cannot be flattened without a copy")
        #expect(reshaped.isContiguous)
        expectValues(reshaped, [0, 3, 1, 4, 2, 5])
        expectValues(base.T.reshaped([2, 3]), [0, 3, 1, 4, 2, 5], shape: [2, 3])
        let copied = base.T.contiguous()
        #expect(copied.storage !== base.storage && copied.isContiguous)
        expectValues(copied, [0, 3, 1, 4, 2, 5], shape: [3, 2])
    }

    @Test func permuteSqueezeAndUnsqueezeShapes() {
        let base = counting([2, 3, 4])
        let permuted = base.permuted([2, 0, 1])
        #expect(permuted.shape == [4, 2, 3])
        #expect(permuted[3, 1, 2] == base[1, 2, 3])
        #expect(base.permuted([-1, 0, 1]).shape == [4, 2, 3])
        #expect(counting([1, 3, 1]).squeezed().shape == [3])
        #expect(counting([1, 3, 1]).squeezed(axis: -1).shape == [1, 3])
        #expect(counting([2, 3]).squeezed(axis: 0).shape == [2, 3], "squeezing a non-1 axis changes nothing")
        #expect(counting([2, 3]).unsqueezed(axis: -1).shape == [2, 3, 1])
        #expect(counting([2, 3]).flattened().shape == [6])
        #expect(base.flattened(startAxis: 1).shape == [2, 12])
    }

    // MARK: Slicing

    @Test func slicingWithStepsAndNegativeBounds() {
        let x = counting([10])
        expectValues(x.sliced(axis: 0, start: -3), [7, 8, 9])                  // x[-3:]
        expectValues(x.sliced(axis: 0, start: 1, end: -1, step: 3), [1, 4, 7])  // x[1:-1:3]
        expectValues(x.sliced(axis: 0, start: 0, end: 10, step: 4), [0, 4, 8])  // x[::4]
        expectValues(x.sliced(axis: 0, start: -100, end: 2), [0, 1])            // bounds clamp like Python
        expectValues(x.sliced(axis: 0, start: 8, end: 100), [8, 9])
        expectValues(x.sliced(axis: 0, start: 6, end: 3), [], shape: [0])       // empty, not an error
        let matrix = counting([3, 4])
        expectValues(matrix.sliced(axis: -1, start: -2), [2, 3, 6, 7, 10, 11], shape: [3, 2])
        expectValues(matrix.sliced(axis: 0, start: 0, step: 2).sliced(axis: 1, start: 1, step: 2), [1, 3, 9, 11], shape: [2, 2])
        let pieces = matrix.split(sizes: [1, 3], axis: 1)
        expectValues(pieces[1], [1, 2, 3, 5, 6, 7, 9, 10, 11], shape: [3, 3])
        #expect(pieces[1].storage === matrix.storage, "split pieces are views")
    }

    // MARK: Gradients through broadcasts and views

    @Test func gradientOfBroadcastSumsOverBroadcastAxes() {
        let a = Tensor.zeros([2, 3], requiresGrad: true)
        let row = Tensor.zeros([3], requiresGrad: true)
        let column = Tensor.zeros([2, 1], requiresGrad: true)
        let scalar = Tensor(scalar: 0, requiresGrad: true)
        let upstream = counting([2, 3])   // [[0, 1, 2], [3, 4, 5]]
        let grads = gradients(of: a + row + column + scalar, withRespectTo: [a, row, column, scalar], gradient: upstream)
        expectValues(grads[0], [0, 1, 2, 3, 4, 5], shape: [2, 3])
        expectValues(grads[1], [3, 5, 7], shape: [3])          // summed over the new leading axis
        expectValues(grads[2], [3, 12], shape: [2, 1])         // summed over the stretched axis, kept as 1
        expectValues(grads[3], [15], shape: [])                // summed over everything
    }

    @Test func gradientOfBroadcastMultiplyUsesTheOtherOperand() {
        // d(Σ a·b)/db = Σ over rows of a, because b was stretched over the rows.
        let a = counting([2, 3], requiresGrad: true)
        let b = Tensor([1, 2, 3], requiresGrad: true)
        let grads = gradients(of: (a * b).sum(), withRespectTo: [a, b])
        expectValues(grads[0], [1, 2, 3, 1, 2, 3], shape: [2, 3])
        expectValues(grads[1], [3, 5, 7], shape: [3])
    }

    @Test func gradientThroughTransposedSliceLandsInPlace() {
        let x = Tensor.zeros([3, 4], requiresGrad: true)
        // Rows 1 and 3 of xᵀ are columns 1 and 3 of x.
        let view = x.T.sliced(axis: 0, start: 1, end: 4, step: 2)   // [2, 3]
        let upstream = Tensor([1, 2, 3, 4, 5, 6], shape: [2, 3])
        let grad = gradients(of: view, withRespectTo: [x], gradient: upstream)[0]
        expectValues(grad, [0, 1, 0, 4,
                            0, 2, 0, 5,
                            0, 3, 0, 6], shape: [3, 4])
    }

    @Test func gradientThroughExpandAndReshape() {
        let x = Tensor([1, 2], shape: [2, 1], requiresGrad: true)
        let y = x.expanded(to: [3, 2, 4]).reshaped([6, 4]).sum()
        expectValues(gradients(of: y, withRespectTo: [x])[0], [12, 12], shape: [2, 1])
    }

    // MARK: Bookkeeping of autodiff

    @Test func tensorUsedMoreThanOnceAccumulates() {
        // y = x·x + x + Σx·x: dy/dx = 2x + 1 + 2x.
        let x = Tensor([1, -2, 3], requiresGrad: true)
        let y = (x * x + x).sum() + (x * x).sum()
        expectValues(gradients(of: y, withRespectTo: [x])[0], [5, -7, 13])
    }

    @Test func backwardAccumulatesIntoGradAcrossCalls() throws {
        let x = Tensor([1, 2, 3], requiresGrad: true)
        #expect(x.grad == nil)
        (x * x).sum().backward()                 // 2x
        expectValues(try #require(x.grad), [2, 4, 6])
        (x * 3).sum().backward()                 // + 3
        expectValues(try #require(x.grad), [5, 7, 9])
        x.grad = nil
        x.sum().backward()
        expectValues(try #require(x.grad), [1, 1, 1])
    }

    @Test func backwardFillsOnlyLeavesThatRequireGradients() throws {
        let x = Tensor([1, 2], requiresGrad: true)
        let constant = Tensor([3, 4])
        let hidden = x * constant
        (hidden * hidden).sum().backward()        // d/dx Σ (x·c)² = 2·x·c²
        expectValues(try #require(x.grad), [18, 64])
        #expect(constant.grad == nil)
        #expect(hidden.grad == nil, "intermediate results keep no .grad")
        #expect(!hidden.isLeaf && x.isLeaf)
    }

    @Test func withoutGradientsRecordsNothing() {
        let x = Tensor([1, 2, 3], requiresGrad: true)
        #expect(isRecordingGradients)
        let y = withoutGradients { () -> Tensor in
            #expect(!isRecordingGradients)
            return (x * x).exp().sum()
        }
        #expect(isRecordingGradients, "the previous mode comes back after the scope")
        #expect(!y.requiresGrad)
        #expect(y.isLeaf, "no graph: gradients(of: y) would stop the program, as it should")
        // Nested scopes restore correctly.
        withoutGradients { withoutGradients { } ; #expect(!isRecordingGradients) }
        #expect(isRecordingGradients)
    }

    /// The recording mode belongs to a thread, as in PyTorch: a `withoutGradients` scope here must not
    /// switch recording off for a data loader or another test running on a different thread.
    @Test func recordingModeIsPerThread() {
        final class Observation: @unchecked Sendable { var recording: Bool? }
        let seen = Observation()
        let done = DispatchSemaphore(value: 0)
        withoutGradients {
            Thread { seen.recording = isRecordingGradients; done.signal() }.start()
            done.wait()
        }
        #expect(seen.recording == true)
    }

    @Test func detachedStopsGradients() {
        let x = Tensor([1, 2, 3], requiresGrad: true)
        // y = Σ x·stop(x): the gradient is x, not 2x.
        let y = (x * x.detached()).sum()
        expectValues(gradients(of: y, withRespectTo: [x])[0], [1, 2, 3])
        #expect(!x.detached().requiresGrad)
        #expect(x.detached().storage === x.storage)
        // Detaching a computed tensor cuts everything before it.
        let z = (x * 2).detached() * x
        expectValues(gradients(of: z.sum(), withRespectTo: [x])[0], [2, 4, 6])
    }

    @Test func gradientsOfUnrelatedInputAreZero() {
        let x = Tensor([1, 2], requiresGrad: true)
        let unrelated = Tensor([5, 6, 7], requiresGrad: true)
        let grads = gradients(of: (x * x).sum(), withRespectTo: [x, unrelated])
        expectValues(grads[1], [0, 0, 0], shape: [3])
    }

    @Test func valueAndGradientTracksUntrackedInputs() {
        let w = Tensor([1, 5])   // does not require gradients; valueAndGradient tracks a copy
        let (value, grads) = valueAndGradient(at: [w]) { p in ((p[0] - 3) * (p[0] - 3)).sum() }
        #expect(value.item == 8)
        expectValues(grads[0], [-4, 4])   // 2(w − 3)
        #expect(!w.requiresGrad, "the caller's tensor is left as it was")
        expectValues(gradient(at: Tensor([2])) { ($0 * $0 * $0).sum() }, [12])
    }

    @Test func assignCopiesWithBroadcasting() {
        let target = Tensor.zeros([2, 3])
        target.assign(Tensor([1, 2, 3]))
        expectValues(target, [1, 2, 3, 1, 2, 3])
        let source = counting([3, 2])
        target.assign(source.T)   // a non-contiguous source
        expectValues(target, [0, 2, 4, 1, 3, 5])
    }
}
