#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Nabla
import NablaData

/// Small generated data sets with known structure, for tests, examples and the CLI (`--data blobs`,
/// `--data moons`). Every generator takes an explicit `RandomGenerator`, so a seed repeats the data.
public enum SyntheticData {
    /// Throws `MemoryLimitError` unless a generated set of `count` samples with `dimensions` features (plus
    /// its labels, and the growth of the arrays while they fill) fits the memory budget. The generators
    /// themselves cannot fail; callers taking the size from a user (`--samples 1000000000`) check first.
    public static func checkMemory(count: Int, dimensions: Int) throws {
        // Features and labels as doubles, times two for an array's copy when it grows.
        try MemoryBudget.check(bytes: MemoryBudget.doubles(count, dimensions + 1, 2),
                               for: "generated data: \(count) samples × \(dimensions) features")
    }

    /// Gaussian blobs: `samplesPerCenter` points around each centre with the given standard deviation,
    /// labelled by centre. Centres default to `centerCount` points drawn uniformly in [-10, 10]^dimensions
    /// (scikit-learn's `make_blobs`).
    ///
    /// ```swift
    /// let blobs = SyntheticData.blobs(samplesPerCenter: 50, centerCount: 3, dimensions: 2,
    ///                                 generator: RandomGenerator(seed: 0))
    /// ```
    public static func blobs(samplesPerCenter: Int, centerCount: Int = 3, dimensions: Int = 2, standardDeviation: Double = 1,
                             centers: [[Double]]? = nil, generator: RandomGenerator) -> ClassicDataset {
        let centers = centers ?? (0..<centerCount).map { _ in
            (0..<dimensions).map { _ in -10 + 20 * Double(generator.nextUnitFloat()) }
        }
        let width = centers.first?.count ?? dimensions
        var values: [Double] = [], labels: [Int] = []
        for (label, center) in centers.enumerated() {
            for _ in 0..<samplesPerCenter {
                for axis in 0..<width { values.append(center[axis] + standardDeviation * Double(generator.nextNormal())) }
                labels.append(label)
            }
        }
        return ClassicDataset(name: "blobs", features: Matrix(rowCount: labels.count, columnCount: width, values: values),
                              target: .classes(labels: labels, names: centers.indices.map { "blob \($0)" }))
    }

    /// Two interleaving half circles in 2-D (scikit-learn's `make_moons`), `count` points split evenly,
    /// with Gaussian noise of standard deviation `noise`.
    public static func moons(count: Int, noise: Double = 0.1, generator: RandomGenerator) -> ClassicDataset {
        let outer = count / 2, inner = count - outer
        var values: [Double] = [], labels: [Int] = []
        for index in 0..<outer {
            let angle = Double.pi * Double(index) / Double(max(outer - 1, 1))
            values += [cos(angle), sin(angle)]
            labels.append(0)
        }
        for index in 0..<inner {
            let angle = Double.pi * Double(index) / Double(max(inner - 1, 1))
            values += [1 - cos(angle), 0.5 - sin(angle)]
            labels.append(1)
        }
        for index in values.indices { values[index] += noise * Double(generator.nextNormal()) }
        return ClassicDataset(name: "moons", features: Matrix(rowCount: count, columnCount: 2, values: values),
                              featureNames: ["x", "y"], target: .classes(labels: labels, names: ["upper", "lower"]))
    }

    /// A linear regression problem: features uniform in [-1, 1], `y = x · weights + bias + noise`.
    public static func linear(count: Int, weights: [Double], bias: Double = 0, noise: Double = 0,
                              generator: RandomGenerator) -> ClassicDataset {
        let width = weights.count
        var values: [Double] = [], targets: [Double] = []
        for _ in 0..<count {
            var y = bias
            for axis in 0..<width {
                let x = -1 + 2 * Double(generator.nextUnitFloat())
                values.append(x)
                y += weights[axis] * x
            }
            targets.append(y + noise * Double(generator.nextNormal()))
        }
        return ClassicDataset(name: "linear", features: Matrix(rowCount: count, columnCount: width, values: values),
                              target: .values(targets))
    }
}
