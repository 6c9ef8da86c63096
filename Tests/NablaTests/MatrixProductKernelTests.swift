import CNablaKernels
@testable import Nabla
import NablaTestSupport
import Testing

// The single-threaded matrix product behind convolutions and small matmuls (Nabla's AVX-512 kernel
// where the processor has it, OpenBLAS elsewhere) against sums in double precision, on sizes that
// leave partial tiles in every direction and depths that split into blocks.

@Suite struct MatrixProductKernelTests {
    static let sizes: [(m: Int, n: Int, k: Int)] = [
        (1, 1, 1), (4, 16, 7), (5, 17, 9), (12, 32, 64), (13, 33, 257), (64, 196, 288), (150, 70, 300), (3, 1100, 20),
        // A row block of 133 to 144 rows and a depth block of exactly 256 fill the packing buffer of A to
        // its last float: a Linear layer's weight gradient at batch 256 (Aᵀ is 256 × rows) and a
        // convolution's input gradient with 256 output channels.
        (133, 10, 256), (144, 64, 256), (300, 40, 512), (144, 49, 256),
    ]

    @Test(arguments: [(false, false), (true, false), (false, true), (true, true)])
    func productsMatchSumsInDoublePrecision(_ transposes: (Bool, Bool)) {
        let (transposeA, transposeB) = transposes
        let random = RandomGenerator(seed: 11)
        for (m, n, k) in Self.sizes {
            let a = random.normal([m * k]).scalars, b = random.normal([k * n]).scalars
            let start = random.normal([m * n]).scalars
            let lda = transposeA ? m : k, ldb = transposeB ? k : n
            let expected = referenceProduct(transposeA, transposeB, m, n, k, a, lda, b, ldb)
            for accumulate in [false, true] {
                var c = start
                c.withUnsafeMutableBufferPointer { output in
                    gemm(transposeA, transposeB, m, n, k, a, lda, b, ldb, output.baseAddress!, n, accumulate: accumulate)
                }
                let wanted = accumulate ? zip(expected, start).map { $0 + Double($1) } : expected
                expectClose(c.map(Double.init), wanted, shape: [m, n],
                            "\(m)×\(n)×\(k) transposed \(transposes) accumulate \(accumulate)",
                            tolerance: Tolerance(absolute: 1e-4, relative: 1e-4))
            }
        }
    }

    @Test(arguments: [(false, false), (true, true)])
    func productsSharedAmongCoresMatchOneThread(_ transposes: (Bool, Bool)) {
        // Above the split threshold (2²⁴ multiply-adds): cut by rows (m > n) and by columns (n ≥ m).
        let (transposeA, transposeB) = transposes
        let random = RandomGenerator(seed: 13)
        for (m, n, k) in [(300, 250, 260), (100, 700, 300)] {
            let a = random.normal([m * k]).scalars, b = random.normal([k * n]).scalars
            let lda = transposeA ? m : k, ldb = transposeB ? k : n
            var shared = [Float](repeating: 0, count: m * n), single = shared
            shared.withUnsafeMutableBufferPointer { output in
                parallelGEMM(transposeA, transposeB, m, n, k, a, lda, b, ldb, output.baseAddress!, n)
            }
            single.withUnsafeMutableBufferPointer { output in
                gemm(transposeA, transposeB, m, n, k, a, lda, b, ldb, output.baseAddress!, n)
            }
            expectClose(shared.map(Double.init), single.map(Double.init), shape: [m, n],
                        "\(m)×\(n)×\(k) transposed \(transposes) shared among cores",
                        tolerance: Tolerance(absolute: 1e-4, relative: 1e-5))
        }
    }

    /// Packing A into a buffer of exactly its packed size writes nothing past it, for every row count
    /// that ends a panel early or fills it, both layouts of A, and depths up to a full block.
    @Test(.enabled(if: nabla_sgemm_available(), "Nabla's own kernel needs AVX-512"))
    func packingAStaysInsideItsBuffer() {
        let guardFloats = 32, sentinel: Float = -12345
        let random = RandomGenerator(seed: 17)
        for transposed in [false, true] {
            for rows in [1, 11, 12, 13, 133, 144] {
                for depths in [1, 7, 256] {
                    let lda = transposed ? rows : depths
                    let a = random.normal([rows * depths]).scalars
                    let packedCount = (rows + 11) / 12 * 12 * depths
                    var packed = [Float](repeating: sentinel, count: packedCount + guardFloats)
                    packed.withUnsafeMutableBufferPointer { buffer in
                        nabla_pack_a(transposed, a, lda, rows, depths, buffer.baseAddress!)
                    }
                    #expect(packed[packedCount...].allSatisfy { $0 == sentinel },
                            "packing \(rows) × \(depths) (transposed \(transposed)) wrote past its buffer")
                    // Panel by panel, each depth index holds the panel's 12 rows, zero past the last row.
                    var mismatches = 0
                    for index in 0..<packedCount {
                        let panel = index / (12 * depths), within = index % (12 * depths)
                        let row = panel * 12 + within % 12, depth = within / 12
                        let wanted = row < rows ? (transposed ? a[depth * lda + row] : a[row * lda + depth]) : 0
                        if packed[index] != wanted { mismatches += 1 }
                    }
                    #expect(mismatches == 0, "packing \(rows) × \(depths) (transposed \(transposed))")
                }
            }
        }
    }
}

/// op(A)·op(B) for row-major `a` and `b` with leading dimensions `lda` and `ldb`, summed in double
/// precision: the definition every matrix-product route is checked against.
func referenceProduct(_ transposeA: Bool, _ transposeB: Bool, _ m: Int, _ n: Int, _ k: Int,
                      _ a: [Float], _ lda: Int, _ b: [Float], _ ldb: Int) -> [Double] {
    var product = [Double](repeating: 0, count: m * n)
    for i in 0..<m {
        for j in 0..<n {
            for p in 0..<k {
                let left = transposeA ? a[p * lda + i] : a[i * lda + p]
                let right = transposeB ? b[j * ldb + p] : b[p * ldb + j]
                product[i * n + j] += Double(left) * Double(right)
            }
        }
    }
    return product
}
