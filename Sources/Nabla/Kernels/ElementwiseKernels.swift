/// Element-wise kernels over raw buffers. Contiguous inputs run as one tight loop split across cores;
/// broadcast or strided inputs run row by row with the strides of each operand.

/// `result[i] = transform(x[i])` into new contiguous storage.
func mapElements<Function: UnaryElementFunction>(_ x: Tensor, _ transform: Function) -> Tensor {
    let source = x.contiguous()
    let count = source.count
    let result = Storage(uninitializedCount: count)
    let input = source.storage.pointer + source.layout.offset
    let output = result.pointer
    parallelChunks(count) { range in
        var index = range.lowerBound
        if Function.isVectorized {
            while index + 16 <= range.upperBound {
                let values = UnsafeRawPointer(input + index).loadUnaligned(as: SIMD16<Float>.self)
                UnsafeMutableRawPointer(output + index).storeBytes(of: transform(values), as: SIMD16<Float>.self)
                index += 16
            }
            // The last few go through the vector form too, so that every element gets the same value
            // wherever the chunks of another core count end (the scalar form may differ by an ulp).
            if index < range.upperBound {
                var lanes = SIMD16<Float>()
                for lane in 0..<(range.upperBound - index) { lanes[lane] = input[index + lane] }
                let values = transform(lanes)
                for lane in 0..<(range.upperBound - index) { output[index + lane] = values[lane] }
                index = range.upperBound
            }
        }
        while index < range.upperBound { output[index] = transform(input[index]); index += 1 }
    }
    return Tensor(storage: result, layout: Layout(contiguous: source.shape))
}

/// `result[i] = combine(a[i], b[i])` over the broadcast shape of `a` and `b`.
func zipElements<Function: BinaryElementFunction>(_ a: Tensor, _ b: Tensor, operation: String, _ combine: Function) -> Tensor {
    guard let shape = broadcastShape(a.shape, b.shape) else {
        fatalError("\(operation): shapes \(describe(a.shape)) and \(describe(b.shape)) cannot be broadcast together")
    }
    let count = shape.reduce(1, *)
    let result = Storage(uninitializedCount: count)
    let output = result.pointer
    let left = a.storage.pointer, right = b.storage.pointer
    if a.shape == b.shape && a.isContiguous && b.isContiguous {
        let l = left + a.layout.offset, r = right + b.layout.offset
        parallelChunks(count) { range in
            for index in range { output[index] = combine(l[index], r[index]) }
        }
    } else if b.count == 1 && a.isContiguous && a.shape == shape {
        let l = left + a.layout.offset, value = right[b.layout.offset]
        parallelChunks(count) { range in
            for index in range { output[index] = combine(l[index], value) }
        }
    } else if a.count == 1 && b.isContiguous && b.shape == shape {
        let value = left[a.layout.offset], r = right + b.layout.offset
        parallelChunks(count) { range in
            for index in range { output[index] = combine(value, r[index]) }
        }
    } else if count > 0 {
        let layoutA = a.layout.broadcast(to: shape), layoutB = b.layout.broadcast(to: shape)
        forEachRow(shape: shape, strides: [layoutA.strides, layoutB.strides, Layout.rowMajorStrides(shape)],
                   offsets: [layoutA.offset, layoutB.offset, 0]) { offsets, length, strides in
            let l = left + offsets[0], r = right + offsets[1], o = output + offsets[2]
            let sl = strides[0], sr = strides[1]
            if sl == 1 && sr == 1 {
                for index in 0..<length { o[index] = combine(l[index], r[index]) }
            } else if sr == 0 {
                let value = r[0]
                for index in 0..<length { o[index] = combine(l[index * sl], value) }
            } else if sl == 0 {
                let value = l[0]
                for index in 0..<length { o[index] = combine(value, r[index * sr]) }
            } else {
                for index in 0..<length { o[index] = combine(l[index * sl], r[index * sr]) }
            }
        }
    }
    return Tensor(storage: result, layout: Layout(contiguous: shape))
}

/// `result[i] = condition[i] != 0 ? a[i] : b[i]` over the broadcast shape of all three.
func selectElements(_ condition: Tensor, _ a: Tensor, _ b: Tensor, operation: String) -> Tensor {
    guard let pair = broadcastShape(a.shape, b.shape), let shape = broadcastShape(condition.shape, pair) else {
        fatalError("\(operation): shapes \(describe(condition.shape)), \(describe(a.shape)) and \(describe(b.shape)) cannot be broadcast together")
    }
    let count = shape.reduce(1, *)
    let result = Storage(uninitializedCount: count)
    let output = result.pointer
    if count == 0 { return Tensor(storage: result, layout: Layout(contiguous: shape)) }
    let layouts = [condition, a, b].map { $0.layout.broadcast(to: shape) }
    let c = condition.storage.pointer, x = a.storage.pointer, y = b.storage.pointer
    forEachRow(shape: shape, strides: layouts.map(\.strides) + [Layout.rowMajorStrides(shape)],
               offsets: layouts.map(\.offset) + [0]) { offsets, length, strides in
        for index in 0..<length {
            output[offsets[3] + index * strides[3]] = c[offsets[0] + index * strides[0]] != 0
                ? x[offsets[1] + index * strides[1]] : y[offsets[2] + index * strides[2]]
        }
    }
    return Tensor(storage: result, layout: Layout(contiguous: shape))
}
