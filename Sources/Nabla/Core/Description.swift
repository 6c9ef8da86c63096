extension Tensor: CustomStringConvertible {
    /// Nested brackets like PyTorch's printing; long axes are elided in the middle.
    public var description: String {
        var text = formatNested(scalars.map { String(format4: $0) }, shape: shape)
        if requiresGrad { text += ", requiresGrad" }
        return "tensor(\(text), shape: \(describe(shape)))"
    }
}

extension String {
    /// A float with up to four decimals, trailing zeros dropped (`1.5`, `0.0313`, `-2`), or scientific
    /// notation for very large or small magnitudes.
    init(format4 value: Float) {
        if value.isNaN { self = "nan"; return }
        if value.isInfinite { self = value > 0 ? "inf" : "-inf"; return }
        let magnitude = abs(value)
        if magnitude != 0 && (magnitude >= 1e6 || magnitude < 1e-4) { self = "\(value)"; return }
        let scaled = (Double(value) * 10_000).rounded() / 10_000
        var text = String(scaled)
        if text.hasSuffix(".0") { text.removeLast(2) }
        self = text == "-0" ? "0" : text
    }
}

/// Nests row-major `values` in brackets by `shape`, eliding the middle of axes longer than 8.
func formatNested(_ values: [String], shape: [Int]) -> String {
    if shape.isEmpty { return values.first ?? "" }
    let strides = Layout.rowMajorStrides(shape)
    func render(_ axis: Int, _ start: Int) -> String {
        let size = shape[axis]
        let shown: [Int] = size > 8 ? Array(0..<3) + [-1] + Array(size - 3..<size) : Array(0..<size)
        let parts = shown.map { index -> String in
            if index < 0 { return "..." }
            let position = start + index * strides[axis]
            return axis == shape.count - 1 ? values[position] : render(axis + 1, position)
        }
        let separator = axis == shape.count - 1 ? ", " : ",\n" + String(repeating: " ", count: axis + 8)
        return "[" + parts.joined(separator: separator) + "]"
    }
    return shape.contains(0) ? "[]" : render(0, 0)
}
