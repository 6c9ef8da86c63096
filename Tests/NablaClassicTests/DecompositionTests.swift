import CNablaBLAS
#if canImport(Glibc)
import Glibc
#endif
import Nabla
@testable import NablaClassic
import NablaTestSupport
import Testing

@Suite struct DecompositionTests {
    /// 60 correlated samples in 6 dimensions with distinct variances.
    static func correlatedData(rows: Int = 60, columns: Int = 6, seed: UInt64 = 11) -> Matrix {
        let generator = RandomGenerator(seed: seed)
        var values = [Double]()
        for _ in 0..<rows {
            let latent = (0..<columns).map { Double(generator.nextNormal()) * Double(columns - $0) }
            for column in 0..<columns { values.append(latent[column] + 0.5 * latent[(column + 1) % columns] + 3) }
        }
        return Matrix(rowCount: rows, columnCount: columns, values: values)
    }

    /// The right singular vectors and singular values of the centred data by LAPACK dgesdd called
    /// directly: an independent route to the principal components.
    static func referenceSVD(_ x: Matrix) -> (vt: [[Double]], s: [Double]) {
        let means = x.columnMeans()
        var centered = x.values
        for row in 0..<x.rowCount { for column in 0..<x.columnCount { centered[row * x.columnCount + column] -= means[column] } }
        let m = x.rowCount, n = x.columnCount, k = min(m, n)
        var s = [Double](repeating: 0, count: k), u = [Double](repeating: 0, count: m * k), vt = [Double](repeating: 0, count: k * n)
        let status = LAPACKE_dgesdd(LAPACK_ROW_MAJOR, CChar(UInt8(ascii: "S")), Int32(m), Int32(n), &centered, Int32(n), &s, &u, Int32(k), &vt, Int32(n))
        precondition(status == 0)
        return ((0..<k).map { Array(vt[($0 * n)..<(($0 + 1) * n)]) }, s)
    }

    /// Each component equals the reference up to sign.
    func expectSameComponents(_ components: Matrix, _ reference: [[Double]], _ label: String, tolerance: Double) {
        for index in 0..<components.rowCount {
            var row = components.row(index)
            if zip(row, reference[index]).reduce(0, { $0 + $1.0 * $1.1 }) < 0 { row = row.map { -$0 } }
            expectClose(row, reference[index], "\(label) component \(index)", tolerance: Tolerance(absolute: tolerance, relative: 0))
        }
    }

    @Test func fullPCAMatchesAnIndependentSVD() throws {
        let x = Self.correlatedData()
        let (vt, s) = Self.referenceSVD(x)
        let model = try PrincipalComponentAnalysis(componentCount: 4).fit(x)
        expectSameComponents(model.components, vt, "covariance route", tolerance: 1e-9)
        expectClose(model.singularValues, Array(s.prefix(4)), "singular values", tolerance: Tolerance(absolute: 1e-9, relative: 1e-9))
        let total = s.reduce(0) { $0 + $1 * $1 }
        expectClose(model.explainedVarianceRatio, s.prefix(4).map { $0 * $0 / total }, "ratios", tolerance: .exact)
        // Wide data (more features than samples) goes through the SVD route.
        let wide = Self.correlatedData(rows: 5, columns: 8)
        let (wideVt, _) = Self.referenceSVD(wide)
        let wideModel = try PrincipalComponentAnalysis(componentCount: 3).fit(wide)
        expectSameComponents(wideModel.components, wideVt, "SVD route", tolerance: 1e-9)
        // The largest entry of each component is positive.
        for row in 0..<model.components.rowCount {
            let values = model.components.row(row)
            #expect(values.max()! >= -values.min()!)
        }
    }

    @Test func float32DataAreMultipliedInFloat32AndStayAccurate() throws {
        // 10,000 samples (two covariance blocks) of float32 values around 100 with spreads of 1 to 5:
        // centring before rounding keeps the float32 products accurate where forming XᵀX uncentred and
        // subtracting n·μμᵀ would lose about four digits to cancellation.
        let rows = 10_000, columns = 12
        let generator = RandomGenerator(seed: 23)
        var values = [Double]()
        for _ in 0..<rows {
            let latent = (0..<columns).map { generator.nextNormal() * Float(columns - $0) / Float(columns) * 5 }
            for column in 0..<columns { values.append(Double(100 + latent[column] + 0.3 * latent[(column + 1) % columns])) }
        }
        let x = Matrix(rowCount: rows, columnCount: columns, values: values)
        #expect(centeredCovariance(x, alpha: 1).singlePrecision)
        #expect(!centeredCovariance(Self.correlatedData(), alpha: 1).singlePrecision)
        let (vt, s) = Self.referenceSVD(x)
        let model = try PrincipalComponentAnalysis(componentCount: 5).fit(x)
        expectSameComponents(model.components, vt, "float32 data", tolerance: 1e-5)
        expectClose(model.explainedVariance, s.prefix(5).map { $0 * $0 / Double(rows - 1) }, "variances",
                    tolerance: Tolerance(absolute: 0, relative: 1e-5))
        expectClose(model.mean, x.columnMeans(), "mean", tolerance: Tolerance(absolute: 1e-12, relative: 1e-12))
    }

    @Test func randomizedPCAAgreesWithFullPCA() throws {
        let x = Self.correlatedData(rows: 200, columns: 10)
        let full = try PrincipalComponentAnalysis(componentCount: 3).fit(x)
        let randomized = try PrincipalComponentAnalysis(componentCount: 3, solver: .randomized()).fit(x)
        expectSameComponents(randomized.components, (0..<3).map { full.components.row($0) }, "randomized", tolerance: 1e-6)
        expectClose(randomized.explainedVariance, full.explainedVariance, "variance", tolerance: Tolerance(absolute: 1e-8, relative: 1e-8))
    }

    @Test func transformAndInverseTransform() throws {
        let x = Self.correlatedData()
        let model = try PrincipalComponentAnalysis(componentCount: 6).fit(x)
        let projected = try model.transform(x)
        expectClose(model.inverseTransform(projected).values, x.values, "round trip", tolerance: .exact)
        // Projections are uncorrelated with the component variances.
        let covariance = gram(projected.subtractingFromRows(projected.columnMeans()), alpha: 1 / 59)
        for i in 0..<6 { for j in 0..<6 {
            expectNear(covariance[i, j], i == j ? model.explainedVariance[i] : 0, "cov[\(i),\(j)]", absolute: 1e-8, relative: 1e-8)
        } }
        let whitened = try PrincipalComponentAnalysis(componentCount: 2, whiten: true).fit(x).transform(x)
        expectNear(whitened.column(0).reduce(0) { $0 + $1 * $1 } / 59, 1, "whitened variance")
    }

    @Test func kernelPCASeparatesConcentricCircles() throws {
        // Inner circle radius 1, outer radius 4: no line separates them, the RBF kernel's first
        // component does.
        var rows: [[Double]] = []
        for index in 0..<40 {
            let angle = 2 * Double.pi * Double(index) / 40
            rows.append([cos(angle), sin(angle)]); rows.append([4 * cos(angle), 4 * sin(angle)])
        }
        let x = Matrix(rows: rows)
        let model = try KernelPCA(componentCount: 2, gamma: 0.5).fit(x)
        let first = model.embedding.column(0)
        let inner = stride(from: 0, to: 80, by: 2).map { first[$0] }, outer = stride(from: 1, to: 80, by: 2).map { first[$0] }
        #expect(inner.max()! < outer.min()! || outer.max()! < inner.min()!)
        // Transforming the training data reproduces the embedding.
        expectClose(try model.transform(x).values, model.embedding.values, "transform", tolerance: Tolerance(absolute: 1e-8, relative: 1e-6))
        #expect(model.eigenvalues[0] >= model.eigenvalues[1])
    }

    /// Points along a spiral arc in 3-D: a one-dimensional manifold.
    static func arc(count: Int = 60) -> (points: Matrix, parameter: [Double]) {
        let parameter = (0..<count).map { 1.5 * Double.pi * Double($0) / Double(count - 1) }
        return (Matrix(rows: parameter.map { [cos($0) * (1 + $0 / 3), sin($0) * (1 + $0 / 3), $0 / 2] }), parameter)
    }

    /// Spearman's rank correlation: ±1 when one sequence orders the points exactly as the other.
    func rankCorrelation(_ a: [Double], _ b: [Double]) -> Double {
        func ranks(_ values: [Double]) -> [Double] {
            var result = [Double](repeating: 0, count: values.count)
            for (rank, index) in values.indices.sorted(by: { values[$0] < values[$1] }).enumerated() { result[index] = Double(rank) }
            return result
        }
        let x = ranks(a), y = ranks(b), n = Double(a.count)
        let squared = zip(x, y).reduce(0.0) { $0 + ($1.0 - $1.1) * ($1.0 - $1.1) }
        return 1 - 6 * squared / (n * (n * n - 1))
    }

    @Test func locallyLinearEmbeddingUnrollsAnArc() throws {
        let (points, parameter) = Self.arc()
        let result = try LocallyLinearEmbedding(neighborCount: 6, dimensions: 1).fit(points)
        #expect(abs(rankCorrelation(result.embedding.column(0), parameter)) > 0.99)
        #expect(result.reconstructionError >= 0)
    }

    @Test func laplacianEigenmapsUnrollAnArc() throws {
        let (points, parameter) = Self.arc()
        let embedding = try LaplacianEigenmaps(dimensions: 1, neighborCount: 6).fit(points)
        #expect(abs(rankCorrelation(embedding.column(0), parameter)) > 0.99)
    }
}
