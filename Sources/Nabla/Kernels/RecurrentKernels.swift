/// The loops over time of the fused LSTM and GRU (see Functional/RecurrentSequences.swift): one matrix
/// product of the previous hidden state by `W_hh` per step, then every gate of every unit in one pass
/// that reads and writes each value once, in 16-lane vectors.
///
/// All buffers are contiguous and time-major: step t of a (L, N, X) buffer starts at t·N·X. `mask` is
/// (L, N) with 1 for a real step and 0 for padding; at a padded step the state carries over unchanged.

@inline(__always) private func load(_ pointer: UnsafePointer<Float>, _ count: Int) -> SIMD16<Float> {
    if count == 16 { return UnsafeRawPointer(pointer).loadUnaligned(as: SIMD16<Float>.self) }
    var lanes = SIMD16<Float>(repeating: 0)
    for lane in 0..<count { lanes[lane] = pointer[lane] }
    return lanes
}

@inline(__always) private func store(_ lanes: SIMD16<Float>, _ pointer: UnsafeMutablePointer<Float>, _ count: Int) {
    if count == 16 { UnsafeMutableRawPointer(pointer).storeBytes(of: lanes, as: SIMD16<Float>.self); return }
    for lane in 0..<count { pointer[lane] = lanes[lane] }
}

@inline(__always) private func sigmoid(_ x: SIMD16<Float>) -> SIMD16<Float> { Elementwise.Sigmoid()(x) }
/// tanh x = 2σ(2x) − 1: the vector exponential instead of tanhf lane by lane (absolute error ~1e-7).
@inline(__always) private func tanh(_ x: SIMD16<Float>) -> SIMD16<Float> { 2 * Elementwise.Sigmoid()(2 * x) - 1 }

/// Runs `body(row, unit, lanes)` over 16-unit blocks of every row in `rows`, the last block of a row short
/// when `hidden` is not a multiple of 16.
@inline(__always) private func forEachBlock(rows: Range<Int>, hidden: Int, _ body: (Int, Int, Int) -> Void) {
    for row in rows {
        var unit = 0
        while unit < hidden {
            body(row, unit, Swift.min(16, hidden - unit))
            unit += 16
        }
    }
}

/// The order in which a direction visits the steps.
@inline(__always) func stepOrder(_ length: Int, reverse: Bool) -> [Int] {
    reverse ? Array((0..<length).reversed()) : Array(0..<length)
}

/// LSTM forward. Writes `output` (L, N, 2H): h then c at every step; `gates` (L, N, 4H): i, f, g, o after
/// their non-linearities; `previousHidden` and `previousCell` (L, N, H): the state each step started from.
func lstmForwardKernel(projection: UnsafePointer<Float>, weight: UnsafePointer<Float>, initialHidden: UnsafePointer<Float>,
                       initialCell: UnsafePointer<Float>, mask: UnsafePointer<Float>?, length: Int, batch: Int, hidden: Int,
                       reverse: Bool, output: UnsafeMutablePointer<Float>, gates: UnsafeMutablePointer<Float>,
                       previousHidden: UnsafeMutablePointer<Float>, previousCell: UnsafeMutablePointer<Float>) {
    let h = hidden, g4 = 4 * hidden, stateSize = batch * hidden
    BLASThreads.useOne()
    var last: Int?
    for time in stepOrder(length, reverse: reverse) {
        let hp = previousHidden + time * stateSize, cp = previousCell + time * stateSize
        if let last {
            for row in 0..<batch {
                (hp + row * h).update(from: output + (last * batch + row) * 2 * h, count: h)
                (cp + row * h).update(from: output + (last * batch + row) * 2 * h + h, count: h)
            }
        } else {
            hp.update(from: initialHidden, count: stateSize)
            cp.update(from: initialCell, count: stateSize)
        }
        let a = gates + time * batch * g4
        a.update(from: projection + time * batch * g4, count: batch * g4)
        parallelGEMM(false, true, batch, g4, h, UnsafePointer(hp), h, weight, h, a, g4, accumulate: true)
        let y = output + time * batch * 2 * h
        let m = mask.map { $0 + time * batch }
        parallelChunks(batch, minimumPerChunk: Swift.max(1, 4096 / Swift.max(h, 1))) { rows in
            forEachBlock(rows: rows, hidden: h) { row, unit, count in
                let gate = a + row * g4 + unit, out = y + row * 2 * h + unit
                let previous = UnsafePointer(hp + row * h + unit), previousC = UnsafePointer(cp + row * h + unit)
                if let m, m[row] == 0 {
                    out.update(from: previous, count: count)
                    (out + h).update(from: previousC, count: count)
                    return
                }
                let i = sigmoid(load(gate, count)), f = sigmoid(load(gate + h, count))
                let g = tanh(load(gate + 2 * h, count)), o = sigmoid(load(gate + 3 * h, count))
                let c = f * load(previousC, count) + i * g
                store(i, gate, count); store(f, gate + h, count); store(g, gate + 2 * h, count); store(o, gate + 3 * h, count)
                store(o * tanh(c), out, count)
                store(c, out + h, count)
            }
        }
        last = time
    }
}

/// LSTM backward: from `outputGradient` (L, N, 2H) and the forward pass's buffers, writes the gradients of
/// the projection (L, N, 4H, before the non-linearities), of `W_hh` (4H, H) and of the initial state.
func lstmBackwardKernel(outputGradient: UnsafePointer<Float>, output: UnsafePointer<Float>, gates: UnsafePointer<Float>,
                        previousHidden: UnsafePointer<Float>, previousCell: UnsafePointer<Float>, weight: UnsafePointer<Float>,
                        mask: UnsafePointer<Float>?, length: Int, batch: Int, hidden: Int, reverse: Bool,
                        projectionGradient: UnsafeMutablePointer<Float>, weightGradient: UnsafeMutablePointer<Float>,
                        initialHiddenGradient: UnsafeMutablePointer<Float>, initialCellGradient: UnsafeMutablePointer<Float>) {
    let h = hidden, g4 = 4 * hidden, stateSize = batch * hidden
    BLASThreads.useOne()
    // dh and dc flowing back into the step being processed; dh is rebuilt every step into `nextHidden`.
    let buffers = UnsafeMutablePointer<Float>.allocate(capacity: 2 * stateSize)
    defer { buffers.deallocate() }
    var dh = buffers, nextHidden = buffers + stateSize
    let dc = initialCellGradient
    dh.update(repeating: 0, count: stateSize)
    dc.update(repeating: 0, count: stateSize)
    for time in stepOrder(length, reverse: reverse).reversed() {
        let a = gates + time * batch * g4, dp = projectionGradient + time * batch * g4
        let dy = outputGradient + time * batch * 2 * h, y = output + time * batch * 2 * h
        let cp = previousCell + time * stateSize
        let m = mask.map { $0 + time * batch }
        let (dhNow, dcNow, dhNext) = (dh, dc, nextHidden)
        parallelChunks(batch, minimumPerChunk: Swift.max(1, 4096 / Swift.max(h, 1))) { rows in
            forEachBlock(rows: rows, hidden: h) { row, unit, count in
                let state = row * h + unit, gate = a + row * g4 + unit, dGate = dp + row * g4 + unit
                let hGrad = load(dhNow + state, count) + load(dy + row * 2 * h + unit, count)
                let cGrad = load(dcNow + state, count) + load(dy + row * 2 * h + unit + h, count)
                if let m, m[row] == 0 {
                    let zero = SIMD16<Float>(repeating: 0)
                    for block in 0..<4 { store(zero, dGate + block * h, count) }
                    store(hGrad, dhNext + state, count)
                    store(cGrad, dcNow + state, count)
                    return
                }
                let i = load(gate, count), f = load(gate + h, count), g = load(gate + 2 * h, count), o = load(gate + 3 * h, count)
                let tc = tanh(load(y + row * 2 * h + unit + h, count))
                // c' = f c + i g, h' = o tanh c'
                let cTotal = cGrad + hGrad * o * (1 - tc * tc)
                store(cTotal * g * i * (1 - i), dGate, count)
                store(cTotal * load(cp + state, count) * f * (1 - f), dGate + h, count)
                store(cTotal * i * (1 - g * g), dGate + 2 * h, count)
                store(hGrad * tc * o * (1 - o), dGate + 3 * h, count)
                store(cTotal * f, dcNow + state, count)
                store(SIMD16<Float>(repeating: 0), dhNext + state, count)
            }
        }
        // dh of the previous step: the carried part (padded rows) plus dGates · W_hh.
        parallelGEMM(false, false, batch, h, g4, UnsafePointer(dp), g4, weight, h, nextHidden, h, accumulate: true)
        swap(&dh, &nextHidden)
    }
    initialHiddenGradient.update(from: dh, count: stateSize)
    // dW_hh = Σₜ dGatesₜᵀ · hₜ₋₁: one product over every step.
    parallelGEMM(true, false, g4, h, length * batch, UnsafePointer(projectionGradient), g4, previousHidden, h, weightGradient, h)
}

/// GRU forward. Writes `output` (L, N, H); `gates` (L, N, 3H): r, z, n after their non-linearities;
/// `hiddenProjection` (L, N, 3H): W_hh h + b_hh; `previousHidden` (L, N, H).
func gruForwardKernel(projection: UnsafePointer<Float>, weight: UnsafePointer<Float>, hiddenBias: UnsafePointer<Float>?,
                      initialHidden: UnsafePointer<Float>, mask: UnsafePointer<Float>?, length: Int, batch: Int, hidden: Int,
                      reverse: Bool, output: UnsafeMutablePointer<Float>, gates: UnsafeMutablePointer<Float>,
                      hiddenProjection: UnsafeMutablePointer<Float>, previousHidden: UnsafeMutablePointer<Float>) {
    let h = hidden, g3 = 3 * hidden, stateSize = batch * hidden
    BLASThreads.useOne()
    var last: Int?
    for time in stepOrder(length, reverse: reverse) {
        let hp = previousHidden + time * stateSize
        hp.update(from: last.map { UnsafePointer(output + $0 * stateSize) } ?? initialHidden, count: stateSize)
        let hh = hiddenProjection + time * batch * g3
        for row in 0..<batch {
            if let hiddenBias { (hh + row * g3).update(from: hiddenBias, count: g3) } else { (hh + row * g3).update(repeating: 0, count: g3) }
        }
        parallelGEMM(false, true, batch, g3, h, UnsafePointer(hp), h, weight, h, hh, g3, accumulate: true)
        let p = projection + time * batch * g3, a = gates + time * batch * g3, y = output + time * stateSize
        let m = mask.map { $0 + time * batch }
        parallelChunks(batch, minimumPerChunk: Swift.max(1, 4096 / Swift.max(h, 1))) { rows in
            forEachBlock(rows: rows, hidden: h) { row, unit, count in
                let state = row * h + unit, offset = row * g3 + unit
                if let m, m[row] == 0 { (y + state).update(from: hp + state, count: count); return }
                let r = sigmoid(load(p + offset, count) + load(hh + offset, count))
                let z = sigmoid(load(p + offset + h, count) + load(hh + offset + h, count))
                let n = tanh(load(p + offset + 2 * h, count) + r * load(hh + offset + 2 * h, count))
                store(r, a + offset, count); store(z, a + offset + h, count); store(n, a + offset + 2 * h, count)
                store(n + z * (load(hp + state, count) - n), y + state, count)
            }
        }
        last = time
    }
}

/// GRU backward: writes the gradients of the projection (L, N, 3H), of W_hh h + b_hh (L, N, 3H, as
/// `hiddenProjectionGradient`), of `W_hh` (3H, H), of `b_hh` (3H) when given, and of the initial hidden state.
func gruBackwardKernel(outputGradient: UnsafePointer<Float>, gates: UnsafePointer<Float>, hiddenProjection: UnsafePointer<Float>,
                       previousHidden: UnsafePointer<Float>, weight: UnsafePointer<Float>, mask: UnsafePointer<Float>?,
                       length: Int, batch: Int, hidden: Int, reverse: Bool,
                       projectionGradient: UnsafeMutablePointer<Float>, hiddenProjectionGradient: UnsafeMutablePointer<Float>,
                       weightGradient: UnsafeMutablePointer<Float>, hiddenBiasGradient: UnsafeMutablePointer<Float>?,
                       initialHiddenGradient: UnsafeMutablePointer<Float>) {
    let h = hidden, g3 = 3 * hidden, stateSize = batch * hidden
    BLASThreads.useOne()
    let buffers = UnsafeMutablePointer<Float>.allocate(capacity: 2 * stateSize)
    defer { buffers.deallocate() }
    var dh = buffers, nextHidden = buffers + stateSize
    dh.update(repeating: 0, count: stateSize)
    for time in stepOrder(length, reverse: reverse).reversed() {
        let offsetG = time * batch * g3
        let a = gates + offsetG, hh = hiddenProjection + offsetG, dp = projectionGradient + offsetG, dhh = hiddenProjectionGradient + offsetG
        let hp = previousHidden + time * stateSize, dy = outputGradient + time * stateSize
        let m = mask.map { $0 + time * batch }
        let (dhNow, dhNext) = (dh, nextHidden)
        parallelChunks(batch, minimumPerChunk: Swift.max(1, 4096 / Swift.max(h, 1))) { rows in
            forEachBlock(rows: rows, hidden: h) { row, unit, count in
                let state = row * h + unit, offset = row * g3 + unit
                let hGrad = load(dhNow + state, count) + load(dy + state, count)
                if let m, m[row] == 0 {
                    let zero = SIMD16<Float>(repeating: 0)
                    for block in 0..<3 { store(zero, dp + offset + block * h, count); store(zero, dhh + offset + block * h, count) }
                    store(hGrad, dhNext + state, count)
                    return
                }
                let r = load(a + offset, count), z = load(a + offset + h, count), n = load(a + offset + 2 * h, count)
                // h' = n + z (h − n), n = tanh(pₙ + r ⊙ hhₙ)
                let dn = hGrad * (1 - z) * (1 - n * n)
                let dz = hGrad * (load(hp + state, count) - n) * z * (1 - z)
                let dr = dn * load(hh + offset + 2 * h, count) * r * (1 - r)
                store(dr, dp + offset, count); store(dz, dp + offset + h, count); store(dn, dp + offset + 2 * h, count)
                store(dr, dhh + offset, count); store(dz, dhh + offset + h, count); store(dn * r, dhh + offset + 2 * h, count)
                store(hGrad * z, dhNext + state, count)
            }
        }
        parallelGEMM(false, false, batch, h, g3, UnsafePointer(dhh), g3, weight, h, nextHidden, h, accumulate: true)
        swap(&dh, &nextHidden)
    }
    initialHiddenGradient.update(from: dh, count: stateSize)
    parallelGEMM(true, false, g3, h, length * batch, UnsafePointer(hiddenProjectionGradient), g3, previousHidden, h, weightGradient, h)
    if let hiddenBiasGradient {
        hiddenBiasGradient.update(repeating: 0, count: g3)
        for row in 0..<(length * batch) {
            let source = hiddenProjectionGradient + row * g3
            for column in 0..<g3 { hiddenBiasGradient[column] += source[column] }
        }
    }
}
