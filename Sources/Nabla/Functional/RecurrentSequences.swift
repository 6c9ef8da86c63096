/// Whole-sequence LSTM and GRU loops as single operations with their own backward rules, for speed: the
/// composed form (a matrix product and a dozen element-wise operations per step, each recorded) spends
/// most of its time creating and visiting graph nodes and re-reading the gates from memory. Here one
/// node covers the whole sequence; the gates of a step are computed in one pass and kept for the
/// backward pass, which runs the loop over time in reverse with one matrix product per step and a
/// single product over all steps for the gradient of `W_hh`.
///
/// The backward rules are kernels, not tensor operations, so gradients of gradients do not flow
/// through these two (as with PyTorch's cuDNN recurrent layers); the layers in NablaNN keep a composed
/// form for that (`RecurrentNetwork.usesFusedKernels = false`).
///
/// Shapes (L steps, N batch, H hidden): `projection` is x·W_ihᵀ + biases for every step, (L, N, G·H);
/// `mask` (L, N) holds 1 for a real step and 0 for padding, where the state carries over unchanged;
/// `reverse` runs from the last step to the first.

/// An LSTM over a whole sequence (gates i, f, g, o as in PyTorch). `projection` (L, N, 4H) must already
/// hold both biases. Returns (L, N, 2H): the hidden state (first H features) and the cell state (last
/// H) after every step; at a padded step, the state carried over.
public func lstmSequence(projection: Tensor, hiddenWeight: Tensor, initialHidden: Tensor, initialCell: Tensor,
                         mask: Tensor? = nil, reverse: Bool = false) -> Tensor {
    let (length, batch, hidden) = checkSequence("lstmSequence", projection, gates: 4, hiddenWeight, initialHidden, mask)
    precondition(initialCell.shape == [batch, hidden], "lstmSequence: initial cell \(describe(initialCell.shape)) is not (\(batch), \(hidden))")
    let p = projection.contiguous(), w = hiddenWeight.contiguous(), h0 = initialHidden.contiguous(), c0 = initialCell.contiguous()
    let m = mask?.contiguous()
    let stateCount = length * batch * hidden
    let output = Storage(uninitializedCount: 2 * stateCount), gates = Storage(uninitializedCount: 4 * stateCount)
    let previousHidden = Storage(uninitializedCount: stateCount), previousCell = Storage(uninitializedCount: stateCount)
    lstmForwardKernel(projection: p.pointer, weight: w.pointer, initialHidden: h0.pointer, initialCell: c0.pointer,
                      mask: m?.pointer, length: length, batch: batch, hidden: hidden, reverse: reverse,
                      output: output.pointer, gates: gates.pointer, previousHidden: previousHidden.pointer,
                      previousCell: previousCell.pointer)
    let result = Tensor(storage: output, layout: Layout(contiguous: [length, batch, 2 * hidden]))
    return record(result, "lstmSequence", [projection, hiddenWeight, initialHidden, initialCell], saves: .inputsAndOutput) { gradient, _ in
        let g = gradient.contiguous()
        let dProjection = Storage(uninitializedCount: 4 * stateCount), dWeight = Storage(uninitializedCount: 4 * hidden * hidden)
        let dHidden = Storage(uninitializedCount: batch * hidden), dCell = Storage(uninitializedCount: batch * hidden)
        lstmBackwardKernel(outputGradient: g.pointer, output: output.pointer, gates: gates.pointer,
                           previousHidden: previousHidden.pointer, previousCell: previousCell.pointer, weight: w.pointer,
                           mask: m?.pointer, length: length, batch: batch, hidden: hidden, reverse: reverse,
                           projectionGradient: dProjection.pointer, weightGradient: dWeight.pointer,
                           initialHiddenGradient: dHidden.pointer, initialCellGradient: dCell.pointer)
        return [Tensor(storage: dProjection, layout: Layout(contiguous: [length, batch, 4 * hidden])),
                Tensor(storage: dWeight, layout: Layout(contiguous: [4 * hidden, hidden])),
                Tensor(storage: dHidden, layout: Layout(contiguous: [batch, hidden])),
                Tensor(storage: dCell, layout: Layout(contiguous: [batch, hidden]))]
    }
}

/// A GRU over a whole sequence (gates r, z, n as in PyTorch, with b_hn inside r ⊙ (W_hn h + b_hn)).
/// `projection` (L, N, 3H) holds x·W_ihᵀ + b_ih; `hiddenBias` is b_hh (3H) or nil. Returns the hidden
/// state after every step, (L, N, H).
public func gruSequence(projection: Tensor, hiddenWeight: Tensor, hiddenBias: Tensor?, initialHidden: Tensor,
                        mask: Tensor? = nil, reverse: Bool = false) -> Tensor {
    let (length, batch, hidden) = checkSequence("gruSequence", projection, gates: 3, hiddenWeight, initialHidden, mask)
    precondition(hiddenBias == nil || hiddenBias!.shape == [3 * hidden],
                 "gruSequence: hidden bias \(describe(hiddenBias!.shape)) is not (\(3 * hidden))")
    let p = projection.contiguous(), w = hiddenWeight.contiguous(), h0 = initialHidden.contiguous()
    let b = hiddenBias?.contiguous(), m = mask?.contiguous()
    let stateCount = length * batch * hidden
    let output = Storage(uninitializedCount: stateCount), gates = Storage(uninitializedCount: 3 * stateCount)
    let hiddenProjection = Storage(uninitializedCount: 3 * stateCount), previousHidden = Storage(uninitializedCount: stateCount)
    gruForwardKernel(projection: p.pointer, weight: w.pointer, hiddenBias: b?.pointer, initialHidden: h0.pointer,
                     mask: m?.pointer, length: length, batch: batch, hidden: hidden, reverse: reverse, output: output.pointer,
                     gates: gates.pointer, hiddenProjection: hiddenProjection.pointer, previousHidden: previousHidden.pointer)
    let result = Tensor(storage: output, layout: Layout(contiguous: [length, batch, hidden]))
    let inputs = [projection, hiddenWeight, initialHidden] + (hiddenBias.map { [$0] } ?? [])
    return record(result, "gruSequence", inputs, saves: .inputsAndOutput) { gradient, _ in
        let g = gradient.contiguous()
        let dProjection = Storage(uninitializedCount: 3 * stateCount), dHiddenProjection = Storage(uninitializedCount: 3 * stateCount)
        let dWeight = Storage(uninitializedCount: 3 * hidden * hidden), dHidden = Storage(uninitializedCount: batch * hidden)
        let dBias = b == nil ? nil : Storage(uninitializedCount: 3 * hidden)
        gruBackwardKernel(outputGradient: g.pointer, gates: gates.pointer, hiddenProjection: hiddenProjection.pointer,
                          previousHidden: previousHidden.pointer, weight: w.pointer, mask: m?.pointer, length: length,
                          batch: batch, hidden: hidden, reverse: reverse, projectionGradient: dProjection.pointer,
                          hiddenProjectionGradient: dHiddenProjection.pointer, weightGradient: dWeight.pointer,
                          hiddenBiasGradient: dBias?.pointer, initialHiddenGradient: dHidden.pointer)
        var gradients: [Tensor?] = [Tensor(storage: dProjection, layout: Layout(contiguous: [length, batch, 3 * hidden])),
                                    Tensor(storage: dWeight, layout: Layout(contiguous: [3 * hidden, hidden])),
                                    Tensor(storage: dHidden, layout: Layout(contiguous: [batch, hidden]))]
        if let dBias { gradients.append(Tensor(storage: dBias, layout: Layout(contiguous: [3 * hidden]))) }
        return gradients
    }
}

/// Checks the shapes shared by both sequences; returns (L, N, H).
private func checkSequence(_ name: String, _ projection: Tensor, gates: Int, _ hiddenWeight: Tensor, _ initialHidden: Tensor,
                           _ mask: Tensor?) -> (Int, Int, Int) {
    precondition(hiddenWeight.rank == 2 && hiddenWeight.shape[0] == gates * hiddenWeight.shape[1] && hiddenWeight.shape[1] > 0,
                 "\(name): hidden weight \(describe(hiddenWeight.shape)) is not (\(gates)·H, H)")
    let hidden = hiddenWeight.shape[1]
    precondition(projection.rank == 3 && projection.shape[2] == gates * hidden && projection.shape[0] > 0,
                 "\(name): projection \(describe(projection.shape)) is not (steps, batch, \(gates * hidden)) for hidden weight \(describe(hiddenWeight.shape))")
    let (length, batch) = (projection.shape[0], projection.shape[1])
    precondition(initialHidden.shape == [batch, hidden], "\(name): initial hidden \(describe(initialHidden.shape)) is not (\(batch), \(hidden))")
    if let mask { precondition(mask.shape == [length, batch], "\(name): mask \(describe(mask.shape)) is not (steps \(length), batch \(batch))") }
    return (length, batch, hidden)
}

private extension Tensor {
    /// The first element of a contiguous tensor's data.
    var pointer: UnsafeMutablePointer<Float> { storage.pointer + layout.offset }
}
