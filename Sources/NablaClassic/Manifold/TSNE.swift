#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Nabla

/// t-distributed stochastic neighbour embedding (van der Maaten and Hinton, 2008): places points in 2-D
/// so that the Student-t similarities `qᵢⱼ ∝ (1 + ‖yᵢ − yⱼ‖²)⁻¹` match the input similarities `pᵢⱼ`,
/// by gradient descent on
///
///     KL(P ‖ Q) = Σᵢⱼ pᵢⱼ log(pᵢⱼ / qᵢⱼ),   ∂KL/∂yᵢ = 4 Σⱼ (pᵢⱼ − qᵢⱼ)(1 + ‖yᵢ − yⱼ‖²)⁻¹ (yᵢ − yⱼ).
///
/// `pᵢⱼ` comes from Gaussian conditionals whose widths give each point the chosen `perplexity`,
/// symmetrised. Everything follows scikit-learn ≥ 1.2's `TSNE` defaults:
///
/// - `.barnesHut(theta: 0.5)`: `P` over the `⌊3·perplexity⌋ + 1` nearest neighbours (exact search by
///   blocked matrix products), and repulsion summarised by a quadtree (`BarnesHutTree`), so a step costs
///   `O(n log n)`; forces are computed on all cores. Two dimensions only.
/// - `.exact`: dense `P` and `Q`, `O(n²)` per step, for small data.
/// - 250 iterations of early exaggeration (`P × 12`, momentum 0.5), then momentum 0.8 up to 1000
///   iterations in all; per-coordinate gains (+0.2 / ×0.8, at least 0.01); learning rate
///   `max(n / 12 / 4, 50)` ("auto"); initialisation by PCA scaled so the first coordinate has standard
///   deviation 10⁻⁴; stopping early after 300 checks without progress or when the gradient norm is
///   below 10⁻⁷ (checked every 50 iterations).
/// - The reported KL divergence is the one at the last iteration, computed as scikit-learn computes
///   it (over the non-zero `pᵢⱼ`, with the Barnes–Hut estimate of the normalisation).
///
/// ```swift
/// let digits = try ClassicDataset.builtIn(.digits)
/// let result = try TSNE(seed: 0).fit(digits.features)
/// result.embedding        // 1797 × 2
/// result.klDivergence     // ≈ 0.75
/// ```
public struct TSNE: Sendable {
    public enum Method: Sendable, Equatable {
        case barnesHut(theta: Double = 0.5)
        case exact
    }

    public enum Initialization: String, Sendable {
        case pca, random
    }

    public var dimensions: Int
    public var perplexity: Double
    public var earlyExaggeration: Double
    /// nil picks `max(n / earlyExaggeration / 4, 50)`.
    public var learningRate: Double?
    public var maximumIterations: Int
    public var explorationIterations: Int
    public var method: Method
    public var initialization: Initialization
    public var minimumGradientNorm: Double
    public var iterationsWithoutProgress: Int
    public var seed: UInt64

    public init(dimensions: Int = 2, perplexity: Double = 30, earlyExaggeration: Double = 12, learningRate: Double? = nil,
                maximumIterations: Int = 1000, explorationIterations: Int = 250, method: Method = .barnesHut(),
                initialization: Initialization = .pca, minimumGradientNorm: Double = 1e-7,
                iterationsWithoutProgress: Int = 300, seed: UInt64 = 0) {
        self.dimensions = dimensions
        self.perplexity = perplexity
        self.earlyExaggeration = earlyExaggeration
        self.learningRate = learningRate
        self.maximumIterations = maximumIterations
        self.explorationIterations = explorationIterations
        self.method = method
        self.initialization = initialization
        self.minimumGradientNorm = minimumGradientNorm
        self.iterationsWithoutProgress = iterationsWithoutProgress
        self.seed = seed
    }

    public struct Result: Sendable {
        /// `n × dimensions`.
        public let embedding: Matrix
        /// KL(P ‖ Q) at the last iteration.
        public let klDivergence: Double
        /// Iterations run (both phases).
        public let iterations: Int
    }

    public func fit(_ features: Matrix) throws -> Result {
        let method = "t-SNE"
        try validate(features, method: method, minimumRows: 2)
        let n = features.rowCount
        try require(perplexity > 0 && perplexity < Double(n), method: method,
                    "perplexity must be between 0 and the number of samples (\(n)), not \(perplexity)")
        try require(earlyExaggeration >= 1, method: method, "early exaggeration must be at least 1, not \(earlyExaggeration)")
        try require(maximumIterations >= 1 && explorationIterations >= 0, method: method, "iteration counts must be positive")
        try require((learningRate ?? 1) > 0, method: method, "learning rate must be positive")
        if dimensions < 1 || dimensions > features.columnCount && initialization == .pca {
            throw ClassicError(.tooManyComponents, method: method,
                               "asks for \(dimensions) dimensions; with PCA initialisation there can be at most \(features.columnCount) (the number of features)")
        }
        if case .barnesHut(let theta) = self.method {
            try require(dimensions == 2, method: method, "the Barnes–Hut method works in 2 dimensions; use the exact method (.exact; --exact on the command line) for \(dimensions)")
            try require(theta >= 0, method: method, "theta must be ≥ 0, not \(theta)")
        }
        let rate = learningRate ?? max(Double(n) / earlyExaggeration / 4, 50)
        var positions = try initialPositions(features)
        let objective: (UnsafeMutablePointer<Double>, UnsafeMutablePointer<Double>, Double, Bool) -> Double
        switch self.method {
        case .barnesHut(let theta):
            let neighborCount = min(n - 1, Int(3 * perplexity + 1))
            let neighbors = try NearestNeighbors.search(features, neighborCount: neighborCount)
            let affinities = TSNEAffinities.sparse(neighbors: neighbors, perplexity: perplexity)
            objective = { positions, gradient, exaggeration, computeError in
                barnesHutGradient(positions: positions, count: n, affinities: affinities, exaggeration: exaggeration,
                                  theta: theta, gradient: gradient, computeError: computeError)
            }
        case .exact:
            // Distances, their off-diagonal rows, the conditional and joint probabilities: four n×n at the peak.
            try checkMatrixMemory(method: "t-SNE (exact)", "the pairwise affinity matrices", rows: n, columns: n, copies: 4)
            let joint = TSNEAffinities.dense(features, perplexity: perplexity)
            let dimensions = self.dimensions
            objective = { positions, gradient, exaggeration, _ in
                exactGradient(positions: positions, count: n, dimensions: dimensions, joint: joint, exaggeration: exaggeration,
                              gradient: gradient)
            }
        }
        var gradient = [Double](repeating: 0, count: positions.count)
        let exploration = min(explorationIterations, maximumIterations)
        var (error, last) = descend(&positions, &gradient, objective: objective, from: 0, to: exploration, momentum: 0.5,
                                    exaggeration: earlyExaggeration, learningRate: rate, patience: explorationIterations)
        if last < exploration - 1 || maximumIterations > exploration {
            (error, last) = descend(&positions, &gradient, objective: objective, from: last + 1, to: maximumIterations,
                                    momentum: 0.8, exaggeration: 1, learningRate: rate, patience: iterationsWithoutProgress)
        }
        return Result(embedding: Matrix(rowCount: n, columnCount: dimensions, values: positions), klDivergence: error,
                      iterations: last + 1)
    }

    /// PCA scaled so the first coordinate has standard deviation 10⁻⁴, or small Gaussian noise.
    private func initialPositions(_ features: Matrix) throws -> [Double] {
        let n = features.rowCount
        switch initialization {
        case .random:
            let generator = RandomGenerator(seed: seed)
            return (0..<(n * dimensions)).map { _ in 1e-4 * Double(generator.nextNormal()) }
        case .pca:
            let projected = try PrincipalComponentAnalysis(componentCount: dimensions).fit(features).transform(features)
            let first = projected.column(0)
            let mean = first.reduce(0, +) / Double(n)
            let deviation = (first.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / Double(n)).squareRoot()
            let scale = deviation > 0 ? 1e-4 / deviation : 1
            return projected.values.map { $0 * scale }
        }
    }

    /// scikit-learn's `_gradient_descent`: momentum, per-coordinate gains, progress checks every 50
    /// iterations. Returns the last computed KL divergence and the last iteration index.
    private func descend(_ positions: inout [Double], _ gradient: inout [Double],
                         objective: (UnsafeMutablePointer<Double>, UnsafeMutablePointer<Double>, Double, Bool) -> Double,
                         from start: Int, to end: Int, momentum: Double, exaggeration: Double, learningRate: Double,
                         patience: Int) -> (Double, Int) {
        let count = positions.count
        var update = [Double](repeating: 0, count: count), gains = [Double](repeating: 1, count: count)
        var error = Double.greatestFiniteMagnitude, bestError = Double.greatestFiniteMagnitude
        var bestIteration = start, iteration = start
        var index = start
        while index < end {
            iteration = index
            let check = (index + 1) % 50 == 0
            let computeError = check || index == end - 1
            let value = positions.withUnsafeMutableBufferPointer { p in
                gradient.withUnsafeMutableBufferPointer { g in objective(p.baseAddress!, g.baseAddress!, exaggeration, computeError) }
            }
            if computeError { error = value }
            var squaredNorm = 0.0
            for coordinate in 0..<count {
                var g = gradient[coordinate]
                if update[coordinate] * g < 0 { gains[coordinate] += 0.2 } else { gains[coordinate] *= 0.8 }
                gains[coordinate] = max(gains[coordinate], 0.01)
                g *= gains[coordinate]
                squaredNorm += g * g
                update[coordinate] = momentum * update[coordinate] - learningRate * g
                positions[coordinate] += update[coordinate]
            }
            if check {
                if error < bestError {
                    bestError = error
                    bestIteration = index
                } else if index - bestIteration > patience {
                    break
                }
                if squaredNorm.squareRoot() <= minimumGradientNorm { break }
            }
            index += 1
        }
        return (error, iteration)
    }
}

/// The Barnes–Hut t-SNE gradient (scaled by 4, as scikit-learn's `_kl_divergence_bh`) and, when asked,
/// the KL divergence over the non-zero `pᵢⱼ` with the tree's estimate of `Z = Σ (1 + d²)⁻¹`.
func barnesHutGradient(positions: UnsafeMutablePointer<Double>, count n: Int, affinities: SparseAffinities,
                       exaggeration: Double, theta: Double, gradient: UnsafeMutablePointer<Double>, computeError: Bool) -> Double {
    let tree = BarnesHutTree(positions: UnsafePointer(positions), count: n)
    let squaredTheta = theta * theta
    let target = UncheckedPointer(gradient), source = UncheckedPointer(positions)
    // Repulsion: gradient holds the unnormalised negative forces until Z is known.
    let sumQ = max(tree.nodes.withUnsafeBufferPointer { nodes in
        parallelSum(n, minimumPerChunk: 64) { range in
            var sum = 0.0
            for point in range {
                let (forceX, forceY, q) = BarnesHutTree.repulsion(nodes: nodes, x: source.pointer[2 * point],
                                                                  y: source.pointer[2 * point + 1], squaredTheta: squaredTheta)
                target.pointer[2 * point] = forceX
                target.pointer[2 * point + 1] = forceY
                sum += q
            }
            return sum
        }
    }, Double.ulpOfOne)
    // Attraction over the sparse P, combined with the normalised repulsion.
    let tiny = Double(Float.leastNormalMagnitude)
    let error = affinities.rowStarts.withUnsafeBufferPointer { starts in
        affinities.columns.withUnsafeBufferPointer { columns in
            affinities.values.withUnsafeBufferPointer { values in
                parallelSum(n, minimumPerChunk: 64) { range in
                    var error = 0.0
                    for point in range {
                        let x = source.pointer[2 * point], y = source.pointer[2 * point + 1]
                        var attractionX = 0.0, attractionY = 0.0
                        for entry in starts[point]..<starts[point + 1] {
                            let other = Int(columns[entry])
                            let dx = x - source.pointer[2 * other], dy = y - source.pointer[2 * other + 1]
                            let q = 1 / (1 + dx * dx + dy * dy)
                            let p = values[entry] * exaggeration
                            let weight = p * q
                            attractionX += weight * dx
                            attractionY += weight * dy
                            if computeError { error += p * log(max(p, tiny) / max(q / sumQ, tiny)) }
                        }
                        target.pointer[2 * point] = 4 * (attractionX - target.pointer[2 * point] / sumQ)
                        target.pointer[2 * point + 1] = 4 * (attractionY - target.pointer[2 * point + 1] / sumQ)
                    }
                    return error
                }
            }
        }
    }
    return computeError ? error : .nan
}

/// The exact t-SNE gradient and KL divergence over all pairs.
func exactGradient(positions: UnsafeMutablePointer<Double>, count n: Int, dimensions: Int, joint: Matrix,
                   exaggeration: Double, gradient: UnsafeMutablePointer<Double>) -> Double {
    var kernel = [Double](repeating: 0, count: n * n)
    var total = 0.0
    for i in 0..<n {
        for j in (i + 1)..<max(i + 1, n) {
            var squared = 0.0
            for axis in 0..<dimensions { let d = positions[i * dimensions + axis] - positions[j * dimensions + axis]; squared += d * d }
            let value = 1 / (1 + squared)
            kernel[i * n + j] = value; kernel[j * n + i] = value
            total += 2 * value
        }
    }
    total = max(total, Double.ulpOfOne)
    var error = 0.0
    for i in 0..<n {
        for axis in 0..<dimensions { gradient[i * dimensions + axis] = 0 }
        for j in 0..<n where j != i {
            let p = joint[i, j] * exaggeration
            let q = max(kernel[i * n + j] / total, Double.ulpOfOne)
            error += p * log(max(p, Double.ulpOfOne) / q)
            let coefficient = 4 * (p - q) * kernel[i * n + j]
            for axis in 0..<dimensions {
                gradient[i * dimensions + axis] += coefficient * (positions[i * dimensions + axis] - positions[j * dimensions + axis])
            }
        }
    }
    return error
}
