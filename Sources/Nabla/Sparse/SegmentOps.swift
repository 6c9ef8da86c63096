// Segment (scatter) reductions: rows of a tensor grouped by an integer segment per row, as message
// passing needs them (sum, mean, max and softmax of the messages arriving at each node), like PyTorch
// Geometric's `scatter(..., reduce=)` and `softmax(src, index)`. Empty segments give 0, as there.

extension Tensor {
    /// Σ of the rows in each segment: result[s] = Σ_{i : segments[i] = s} self[i]. `self` has shape
    /// [n, …], `segments` n entries in 0..<segmentCount; result [segmentCount, …].
    public func segmentSum(_ segments: [Int], segmentCount: Int) -> Tensor {
        checkSegments(segments, segmentCount: segmentCount, operation: "segmentSum")
        var resultShape = shape
        resultShape[0] = segmentCount
        return indexAdded(intoShape: resultShape, axis: 0, indices: IntTensor(segments))
    }

    /// The mean of the rows in each segment (0 for an empty segment).
    public func segmentMean(_ segments: [Int], segmentCount: Int) -> Tensor {
        let sums = segmentSum(segments, segmentCount: segmentCount)
        var counts = [Float](repeating: 0, count: segmentCount)
        for segment in segments { counts[segment] += 1 }
        var factorShape = [Int](repeating: 1, count: rank)
        factorShape[0] = segmentCount
        return sums * Tensor(counts.map { 1 / Swift.max($0, 1) }, shape: factorShape)
    }

    /// The element-wise largest row in each segment (0 for an empty segment). The gradient flows to
    /// the first row attaining the maximum, element by element (as `max(axis:)`'s does).
    public func segmentMax(_ segments: [Int], segmentCount: Int) -> Tensor {
        checkSegments(segments, segmentCount: segmentCount, operation: "segmentMax")
        precondition(rank >= 1, "segmentMax: needs at least one axis, got a scalar")
        let inner = shape.dropFirst().reduce(1, *)
        var resultShape = shape
        resultShape[0] = segmentCount
        if shape[0] == 0 || inner == 0 { return Tensor.zeros(resultShape) }
        // For every (segment, element): the row holding the maximum, found without recording.
        var winners = [Int](repeating: -1, count: segmentCount * inner)
        let source = contiguous()
        let input = source.storage.pointer + source.layout.offset
        for (row, segment) in segments.enumerated() {
            for element in 0..<inner {
                let slot = segment * inner + element
                let current = winners[slot]
                if current < 0 || input[row * inner + element] > input[current * inner + element] { winners[slot] = row }
            }
        }
        let occupied = Tensor(winners.map { $0 < 0 ? 0 : 1 }, shape: resultShape)
        let indices = IntTensor(winners.map { Swift.max($0, 0) }, shape: resultShape)
        return gathered(axis: 0, indices: indices) * occupied
    }

    /// Softmax over the rows of each segment, element by element: result[i] = exp(self[i]) /
    /// Σ_{j in i's segment} exp(self[j]) (shifted by the segment maximum for stability). The attention
    /// weights of a node over its incoming edges. Composed of differentiable operations.
    public func segmentSoftmax(_ segments: [Int], segmentCount: Int) -> Tensor {
        checkSegments(segments, segmentCount: segmentCount, operation: "segmentSoftmax")
        let index = IntTensor(segments)
        // The shift only guards exp against overflow; it cancels, so no gradient needs to flow through it.
        let shift = withoutGradients { detached().segmentMax(segments, segmentCount: segmentCount) }
        let exponentials = (self - shift.indexSelected(axis: 0, indices: index)).exp()
        let totals = exponentials.segmentSum(segments, segmentCount: segmentCount)
        return exponentials / totals.indexSelected(axis: 0, indices: index)
    }

    private func checkSegments(_ segments: [Int], segmentCount: Int, operation: String) {
        precondition(rank >= 1 && segments.count == shape[0],
                     "\(operation): \(segments.count) segment indices for a tensor of shape \(describe(shape))")
        precondition(segmentCount >= 0, "\(operation): segment count \(segmentCount) is negative")
        if let bad = segments.first(where: { $0 < 0 || $0 >= segmentCount }) {
            preconditionFailure("\(operation): segment \(bad) is outside 0..<\(segmentCount)")
        }
    }
}
