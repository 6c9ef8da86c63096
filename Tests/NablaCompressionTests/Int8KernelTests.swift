import NablaCompression
import Testing

@Suite struct Int8KernelTests {
    /// Σ_p A[i][p]·B[j][p] in Swift's Int32, the reference both kernels must equal exactly.
    func reference(rows: Int, columns: Int, depth: Int, _ a: [UInt8], _ b: [Int8]) -> [Int32] {
        var result = [Int32](repeating: 0, count: rows * columns)
        for i in 0..<rows {
            for j in 0..<columns {
                var sum: Int32 = 0
                for p in 0..<depth { sum += Int32(a[i * depth + p]) * Int32(b[j * depth + p]) }
                result[i * columns + j] = sum
            }
        }
        return result
    }

    @Test(arguments: [(1, 1, 1), (6, 37, 13), (3, 5, 63), (4, 8, 64), (7, 3, 65), (9, 10, 200), (5, 16, 288)])
    func kernelsEqualTheIntegerReference(rows: Int, columns: Int, depth: Int) {
        var generator = SystemRandomNumberGenerator()
        let a = (0..<rows * depth).map { _ in UInt8.random(in: 0...255, using: &generator) }
        let b = (0..<columns * depth).map { _ in Int8.random(in: -128...127, using: &generator) }
        let expected = reference(rows: rows, columns: columns, depth: depth, a, b)
        #expect(Int8MatrixProduct.multiply(rows: rows, columns: columns, depth: depth, a, b, useVNNI: false) == expected)
        if Int8MatrixProduct.vnniAvailable {
            #expect(Int8MatrixProduct.multiply(rows: rows, columns: columns, depth: depth, a, b, useVNNI: true) == expected)
        }
    }

    @Test func extremeCodesDoNotSaturate() {
        // 255 · −128 summed over 300 products is far beyond 16 bits: only exact 32-bit sums pass.
        let depth = 300
        let a = [UInt8](repeating: 255, count: 4 * depth)
        let b = [Int8](repeating: -128, count: 2 * depth) 
        let expected = [Int32](repeating: 255 * -128 * Int32(depth), count: 8)
        #expect(Int8MatrixProduct.multiply(rows: 4, columns: 2, depth: depth, a, b, useVNNI: false) == expected)
        if Int8MatrixProduct.vnniAvailable {
            #expect(Int8MatrixProduct.multiply(rows: 4, columns: 2, depth: depth, a, b, useVNNI: true) == expected)
        }
    }
}
