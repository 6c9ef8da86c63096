import Foundation
import CNablaBLAS
@testable import Nabla
import NablaTestSupport
import Testing

// The choice between Nabla's kernel and OpenBLAS (`ProductRouting`): every route this processor can
// take computes the same product (checked against sums in double precision), and once a shape class
// is decided every product of that class takes the same route, so repeated products in one process
// give identical bits whichever route won the measurement.

@Suite struct MatrixProductRoutingTests {
    /// Every route for one thread or for all cores, minus those that need AVX-512 where it is missing.
    static var availableRoutes: [ProductRoute] {
        ProductRoute.allCases.filter { ProductRouting.nablaKernelAvailable || ($0 != .nabla && $0 != .nablaSplit) }
    }

    @Test(arguments: [(false, false), (true, false), (false, true), (true, true)])
    func everyRouteMatchesSumsInDoublePrecision(_ transposes: (Bool, Bool)) {
        let (transposeA, transposeB) = transposes
        let random = RandomGenerator(seed: 17)
        // Small, one that splits among cores by columns (n ≥ m) and one by rows, with partial tiles.
        for (m, n, k) in [(5, 17, 9), (100, 700, 30), (301, 90, 40)] {
            let a = random.normal([m * k]).scalars, b = random.normal([k * n]).scalars
            let start = random.normal([m * n]).scalars
            let lda = transposeA ? m : k, ldb = transposeB ? k : n
            let expected = referenceProduct(transposeA, transposeB, m, n, k, a, lda, b, ldb)
            for route in Self.availableRoutes {
                for accumulate in [false, true] {
                    var c = start
                    c.withUnsafeMutableBufferPointer { output in
                        ProductRouting.compute(route, transposeA, transposeB, m, n, k, a, lda, b, ldb, output.baseAddress!, n,
                                               accumulate: accumulate)
                    }
                    let wanted = accumulate ? zip(expected, start).map { $0 + Double($1) } : expected
                    expectClose(c.map(Double.init), wanted, shape: [m, n],
                                "\(route.rawValue) \(m)×\(n)×\(k) transposed \(transposes) accumulate \(accumulate)",
                                tolerance: Tolerance(absolute: 1e-4, relative: 1e-4))
                }
            }
        }
    }

    @Test func aDecidedClassKeepsItsRouteAndGemmTakesIt() {
        let random = RandomGenerator(seed: 19)
        for (shared, m, n, k) in [(false, 64, 196, 288), (true, 128, 128, 128), (true, 300, 250, 260)] {
            let a = random.normal([m * k]).scalars, b = random.normal([k * n]).scalars
            let first = ProductRouting.route(shared: shared, false, false, m, n, k, a, k, b, n)
            #expect(ProductRouting.decidedRoute(shared: shared, false, false, m, n, k) == first)
            let candidates = shared ? ProductRouting.sharedCandidates(multiplyAdds: m * n * k) : ProductRouting.singleThreadCandidates
            #expect(candidates.contains(first), "\(first) is not a candidate for \(m)×\(n)×\(k)")
            // Another product of the same class (each size rounds up to the same power of two) keeps the route.
            #expect(ProductRouting.route(shared: shared, false, false, m - 1, n - 1, k - 1, a, k, b, n) == first)
            // The product through the entry point is bit for bit the product by the decided route.
            var viaEntry = [Float](repeating: 0, count: m * n), viaRoute = viaEntry
            viaEntry.withUnsafeMutableBufferPointer { output in
                if shared {
                    parallelGEMM(false, false, m, n, k, a, k, b, n, output.baseAddress!, n)
                } else {
                    gemm(false, false, m, n, k, a, k, b, n, output.baseAddress!, n)
                }
            }
            viaRoute.withUnsafeMutableBufferPointer { output in
                ProductRouting.compute(first, false, false, m, n, k, a, k, b, n, output.baseAddress!, n, accumulate: false)
            }
            if !shared || Parallelism.cores > 1 {
                #expect(viaEntry == viaRoute, "\(shared ? "shared" : "one-thread") \(m)×\(n)×\(k) by \(first.rawValue)")
            }
        }
    }

    @Test func shapeClassesRoundEachSizeUpToAPowerOfTwo() {
        let base = ProductRouting.shapeClass(shared: false, false, false, 256, 256, 256)
        #expect(ProductRouting.shapeClass(shared: false, false, false, 129, 200, 255) == base)
        #expect(ProductRouting.shapeClass(shared: false, false, false, 257, 256, 256) != base)
        #expect(ProductRouting.shapeClass(shared: true, false, false, 256, 256, 256) != base)
        #expect(ProductRouting.shapeClass(shared: false, true, false, 256, 256, 256) != base)
        #expect(ProductRouting.shapeClass(shared: false, false, true, 256, 256, 256) != base)
        #expect(ProductRouting.shapeClass(shared: false, false, false, 1, 1, 1) != ProductRouting.shapeClass(shared: false, false, false, 2, 2, 2))
    }
}

/// The file that carries route decisions from one process to the next (`ProductRouteStore`).
@Suite struct ProductRouteStoreTests {
    let fingerprint = "nabla product routes v1; test processor; 2 cores; OpenBLAS Haswell; Nabla kernel yes"

    func temporaryStorePath() -> String {
        FileManager.default.temporaryDirectory.appendingPathComponent("nabla-routes-\(UUID().uuidString)/deeper/routes.txt").path
    }

    @Test func decisionsSurviveTheTextAndAnotherFingerprintReadsNone() {
        let decisions: [Int: ProductRoute] = [3: .nabla, 1 << 26 | 7: .nablaSplit, 1 << 27 | 1 << 26 | 9: .openBLASThreaded, 12: .openBLAS]
        let text = ProductRouteStore.text(decisions, fingerprint: fingerprint)
        #expect(ProductRouteStore.parse(text, fingerprint: fingerprint) == decisions)
        #expect(ProductRouteStore.parse(text, fingerprint: fingerprint + " (another machine)").isEmpty)
        #expect(ProductRouteStore.text(decisions, fingerprint: fingerprint) == text, "equal decisions make equal files")
    }

    @Test func linesThatCannotBeReadAreMeasuredAgainNotTrusted() {
        let text = fingerprint + "\n5 nabla\nseven openblas\n9 cuda\n11\n13 openblas extra\n15 openblas-threaded\n"
        #expect(ProductRouteStore.parse(text, fingerprint: fingerprint) == [5: .nabla, 15: .openBLASThreaded])
        #expect(ProductRouteStore.parse("", fingerprint: fingerprint).isEmpty)
        #expect(ProductRouteStore.load(from: "/nonexistent-folder/routes.txt", fingerprint: fingerprint).isEmpty)
    }

    @Test func theFirstDecisionOfAClassIsKeptAndFoldersAreMade() throws {
        let path = temporaryStorePath()
        defer { try? FileManager.default.removeItem(atPath: URL(fileURLWithPath: path).deletingLastPathComponent().deletingLastPathComponent().path) }
        ProductRouteStore.record(4, .nabla, at: path, fingerprint: fingerprint)
        ProductRouteStore.record(4, .openBLAS, at: path, fingerprint: fingerprint)   // another process decided 4 first
        ProductRouteStore.record(8, .nablaSplit, at: path, fingerprint: fingerprint)
        #expect(ProductRouteStore.load(from: path, fingerprint: fingerprint) == [4: .nabla, 8: .nablaSplit])
        // A file of another machine is replaced, not merged.
        ProductRouteStore.record(16, .openBLAS, at: path, fingerprint: fingerprint + " (another machine)")
        #expect(ProductRouteStore.load(from: path, fingerprint: fingerprint).isEmpty)
        #expect(ProductRouteStore.load(from: path, fingerprint: fingerprint + " (another machine)") == [16: .openBLAS])
        let left = try FileManager.default.contentsOfDirectory(atPath: URL(fileURLWithPath: path).deletingLastPathComponent().path)
        #expect(left == ["routes.txt"], "no temporary files are left: \(left)")
    }

    @Test func theFingerprintNamesWhatTheRoutesDependOn() {
        let line = ProductRouteStore.fingerprint
        #expect(line.hasPrefix("nabla product routes v\(ProductRouteStore.formatVersion); "))
        #expect(line.contains("\(Parallelism.detectedCores) cores") && line.contains("OpenBLAS "))
        #expect(ProductRouteStore.fnv1a("a") != ProductRouteStore.fnv1a("b") && ProductRouteStore.fnv1a("") == 0xcbf2_9ce4_8422_2325)
    }
}

/// Debian's OpenBLAS falls back to its generic kernels on processors newer than itself; Nabla asks it
/// for the kernels the processor's instructions allow (Sources/CNablaKernels/OpenBLASCore.c), unless
/// OPENBLAS_CORETYPE chose a core.
@Suite struct OpenBLASCoreTests {
    @Test func openBLASDoesNotRunItsGenericKernelsOnAnAVX512Processor() {
        guard ProcessInfo.processInfo.environment["OPENBLAS_CORETYPE"] == nil, ProductRouting.nablaKernelAvailable else { return }
        let core = String(cString: openblas_get_corename())
        #expect(core != "Prescott", "OpenBLAS runs its generic kernels on a processor with AVX-512")
    }
}
