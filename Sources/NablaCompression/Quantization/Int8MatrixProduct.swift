import CNablaQuantized

/// The integer matrix product C = A·Bᵀ (A m×k unsigned 8-bit, B n×k signed 8-bit, C m×n 32-bit),
/// on AVX-512 VNNI where the processor has it and a portable loop elsewhere, chosen at run time.
public enum Int8MatrixProduct {
    /// Whether this processor runs the VNNI kernel.
    public static let vnniAvailable: Bool = nabla_int8_vnni_available()

    /// Writes A·Bᵀ into `product`; `useVNNI` (default: where available) picks the kernel.
    public static func multiply(rows: Int, columns: Int, depth: Int,
                                _ a: UnsafePointer<UInt8>, _ b: UnsafePointer<Int8>,
                                into product: UnsafeMutablePointer<Int32>, useVNNI: Bool = vnniAvailable) {
        precondition(!useVNNI || vnniAvailable, "Int8MatrixProduct: the VNNI kernel was asked for on a processor without AVX-512 VNNI")
        nabla_int8_matrix_product(rows, columns, depth, a, b, product, useVNNI)
    }

    /// A·Bᵀ for arrays (for tests and small products).
    public static func multiply(rows: Int, columns: Int, depth: Int, _ a: [UInt8], _ b: [Int8],
                                useVNNI: Bool = vnniAvailable) -> [Int32] {
        precondition(a.count == rows * depth && b.count == columns * depth,
                     "Int8MatrixProduct: A has \(a.count) values for \(rows)×\(depth), B \(b.count) for \(columns)×\(depth)")
        var product = [Int32](repeating: 0, count: rows * columns)
        a.withUnsafeBufferPointer { aBuffer in
            b.withUnsafeBufferPointer { bBuffer in
                product.withUnsafeMutableBufferPointer { cBuffer in
                    multiply(rows: rows, columns: columns, depth: depth, aBuffer.baseAddress!, bBuffer.baseAddress!,
                             into: cBuffer.baseAddress!, useVNNI: useVNNI)
                }
            }
        }
        return product
    }
}
