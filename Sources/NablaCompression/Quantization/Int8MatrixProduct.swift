import CNablaQuantized
import Dispatch
import Foundation

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
        // Large products split their rows among the cores (chunks of whole 4-row groups); each chunk
        // writes its own rows of the product, so the result does not depend on the split.
        let workers = rows * columns * depth >= 1 << 22 ? min(ProcessInfo.processInfo.activeProcessorCount, max(rows / 64, 1)) : 1
        guard workers > 1 else {
            nabla_int8_matrix_product(rows, columns, depth, a, b, product, useVNNI)
            return
        }
        let chunk = (rows + workers - 1) / workers + 3 & ~3
        DispatchQueue.concurrentPerform(iterations: workers) { worker in
            let start = worker * chunk, end = min(start + chunk, rows)
            guard start < end else { return }
            nabla_int8_matrix_product(end - start, columns, depth, a + start * depth, b, product + start * columns, useVNNI)
        }
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
