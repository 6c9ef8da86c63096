#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Nabla

/// k-means clustering (Lloyd's algorithm): alternately assign each point to its nearest centre and
/// move each centre to the mean of its points, which never increases the inertia
///
///     J = Σᵢ ‖xᵢ − μ_{c(i)}‖².
///
/// Centres start by greedy k-means++ (Arthur and Vassilvitskii, 2007, as scikit-learn does it): each
/// new centre is the best of `2 + ⌊ln k⌋` candidates drawn with probability proportional to the squared
/// distance to the nearest centre so far. Iteration stops when no label changes or the centres move
/// less than `tolerance` × the mean feature variance (squared), or after `maximumIterations`. With
/// `restarts > 1` the run with the lowest inertia wins.
///
/// Distances use `‖x‖² − 2 x·μ + ‖μ‖²` with float32 products (as scikit-learn does for float32 data),
/// streamed over all cores; cluster sums accumulate in float64. Hamerly's bounds (2010) skip the
/// distance computations that cannot change an assignment, so late iterations touch few points while
/// the result stays exactly Lloyd's.
///
/// ```swift
/// let result = try KMeans(clusterCount: 3, seed: 0).fit(points)
/// result.labels        // cluster of each point
/// result.centers       // 3 × features
/// result.inertia
/// ```
public struct KMeans: Sendable {
    public var clusterCount: Int
    public var restarts: Int
    public var maximumIterations: Int
    public var tolerance: Double
    public var seed: UInt64

    public init(clusterCount: Int, restarts: Int = 1, maximumIterations: Int = 300, tolerance: Double = 1e-4, seed: UInt64 = 0) {
        self.clusterCount = clusterCount
        self.restarts = restarts
        self.maximumIterations = maximumIterations
        self.tolerance = tolerance
        self.seed = seed
    }

    public struct Result: Sendable {
        /// `clusterCount × features`.
        public let centers: Matrix
        public let labels: [Int]
        public let inertia: Double
        /// Lloyd iterations of the winning run.
        public let iterations: Int

        /// The nearest centre for each row of `features`.
        public func predict(_ features: Matrix) throws -> [Int] {
            try checkFeatureCount(features, expected: centers.columnCount, method: "k-means")
            try checkFinite(features.values, columns: features.columnCount, method: "k-means")
            let distances = NearestNeighbors.squaredDistances(features, centers)
            return distances.rowArgmin()
        }
    }

    public func fit(_ features: Matrix) throws -> Result {
        let method = "k-means"
        try validate(features, method: method)
        try require(restarts >= 1, method: method, "needs at least one restart, not \(restarts)")
        try require(maximumIterations >= 1, method: method, "needs at least one iteration, not \(maximumIterations)")
        if clusterCount < 1 || clusterCount > features.rowCount {
            throw ClassicError(.tooManyComponents, method: method,
                               "asks for \(clusterCount) clusters but there are \(features.rowCount) samples; choose 1...\(features.rowCount)")
        }
        // The search runs in single precision on centred data: a spread whose squared distances pass
        // Float's range (3.4e38) would make every distance infinite and the seeding find no candidate.
        let means = features.columnMeans()
        var spread = 0.0
        for row in 0..<features.rowCount {
            for column in 0..<features.columnCount { spread = max(spread, abs(features[row, column] - means[column])) }
        }
        if !(spread.isFinite && 4 * spread * spread * Double(features.columnCount) < Double(Float.greatestFiniteMagnitude) / 4) {
            throw ClassicError(.nonFiniteValue, method: method,
                               "values spread as far as \(spread) from their mean, too far for k-means's single-precision distances (they overflow); rescale the features first (--scale standard or min-max)")
        }
        let data = CenteredSingleData(features)
        let generator = RandomGenerator(seed: seed)
        var best: (centers: [Float], labels: [Int32], inertia: Double, iterations: Int)?
        for _ in 0..<restarts {
            let initial = greedyPlusPlus(data, generator: generator)
            let run = lloyd(data, centers: initial)
            if best == nil || run.inertia < best!.inertia { best = run }
        }
        let winner = best!
        let width = features.columnCount
        var centers = Matrix(rowCount: clusterCount, columnCount: width)
        for k in 0..<clusterCount {
            for column in 0..<width { centers[k, column] = Double(winner.centers[k * width + column]) + data.mean[column] }
        }
        return Result(centers: centers, labels: winner.labels.map(Int.init), inertia: winner.inertia, iterations: winner.iterations)
    }

    /// Greedy k-means++ seeding on the centred float32 data.
    private func greedyPlusPlus(_ data: CenteredSingleData, generator: RandomGenerator) -> [Float] {
        let n = data.rowCount, width = data.columnCount, k = clusterCount
        let trials = 2 + Int(log(Double(k)))
        var centers = [Float](repeating: 0, count: k * width)
        let first = generator.integer(in: 0..<n)
        data.copyRow(first, into: &centers, at: 0)
        var closest = data.squaredDistances(toRows: [first])[0]
        var potential = closest.reduce(0, +)
        for center in 1..<k {
            // Candidates drawn in proportion to the squared distance to the nearest centre.
            var cumulative = [Double](repeating: 0, count: n)
            var running = 0.0
            for index in 0..<n { running += closest[index]; cumulative[index] = running }
            let candidates = (0..<trials).map { _ -> Int in
                let target = Double(generator.nextUnitFloat()) * potential
                var low = 0, high = n - 1
                while low < high { let middle = (low + high) / 2; if cumulative[middle] < target { low = middle + 1 } else { high = middle } }
                return low
            }
            let distances = data.squaredDistances(toRows: candidates)
            var bestTrial = 0, bestPotential = Double.infinity, bestClosest: [Double] = []
            for (trial, candidateDistances) in distances.enumerated() {
                var updated = candidateDistances
                var sum = 0.0
                for index in 0..<n { updated[index] = min(updated[index], closest[index]); sum += updated[index] }
                if sum < bestPotential { bestPotential = sum; bestTrial = trial; bestClosest = updated }
            }
            // Unreachable with the spread checked in `fit`; kept so odd values cannot index an empty array.
            if bestClosest.isEmpty { bestClosest = closest }
            data.copyRow(candidates[bestTrial], into: &centers, at: center * width)
            closest = bestClosest
            potential = bestPotential
        }
        return centers
    }

    /// Lloyd iterations from `centers`, accelerated by Hamerly's bounds (2010): each point keeps an
    /// upper bound on the distance to its centre and a lower bound on the distance to the second
    /// nearest, both moved by how far the centres moved; a point whose upper bound is below
    /// `max(lower bound, half the distance from its centre to the nearest other centre)` cannot change
    /// cluster and is skipped. Assignments, centres and stopping rule are Lloyd's (scikit-learn's):
    /// only the distance computations that cannot change anything are left out, and cluster sums are
    /// updated for the points that move.
    private func lloyd(_ data: CenteredSingleData, centers start: [Float]) -> (centers: [Float], labels: [Int32], inertia: Double, iterations: Int) {
        let n = data.rowCount, width = data.columnCount, k = clusterCount
        let absoluteTolerance = data.meanVariance * tolerance
        var centers = start
        var labels = [Int32](repeating: -1, count: n)
        var nearest = [Float](repeating: 0, count: n), second = [Float](repeating: 0, count: n)
        var (sums, counts) = data.assignAndSum(centers: centers, clusterCount: k, labels: &labels, distances: &nearest, secondDistances: &second)
        var upper = nearest.map { Double($0).squareRoot() }, lower = second.map { Double($0).squareRoot() }
        var changed = n
        var iterations = 1
        var strictlyConverged = false
        while true {
            let relocated = counts.contains(0)
            var updated = data.means(sums: sums, counts: counts, clusterCount: k, distances: nearest)
            var shift = 0.0
            var moves = [Double](repeating: 0, count: k)
            for center in 0..<k {
                var squared = 0.0
                for column in 0..<width { let d = Double(updated[center * width + column] - centers[center * width + column]); squared += d * d }
                moves[center] = squared.squareRoot()
                shift += squared
            }
            swap(&centers, &updated)
            if changed == 0 { strictlyConverged = true; break }
            if shift <= absoluteTolerance || iterations >= maximumIterations { break }
            iterations += 1
            if relocated {
                // A relocated centre invalidates the bounds: one full pass rebuilds them.
                let previous = labels
                (sums, counts) = data.assignAndSum(centers: centers, clusterCount: k, labels: &labels, distances: &nearest, secondDistances: &second)
                upper = nearest.map { Double($0).squareRoot() }
                lower = second.map { Double($0).squareRoot() }
                changed = zip(labels, previous).reduce(0) { $0 + ($1.0 != $1.1 ? 1 : 0) }
                continue
            }
            var largest = 0.0, secondLargest = 0.0, largestCenter = 0
            for center in 0..<k {
                if moves[center] > largest { secondLargest = largest; largest = moves[center]; largestCenter = center }
                else if moves[center] > secondLargest { secondLargest = moves[center] }
            }
            for point in 0..<n {
                let own = Int(labels[point])
                upper[point] += moves[own]
                lower[point] -= own == largestCenter ? secondLargest : largest
            }
            let result = data.boundedAssign(centers: centers, clusterCount: k, labels: &labels, upper: &upper, lower: &lower)
            changed = result.changed
            for index in 0..<(k * width) { sums[index] += result.sumChanges[index] }
            for center in 0..<k { counts[center] += result.countChanges[center] }
        }
        // Exact labels and distances for the final centres (the bounds skipped some distances).
        _ = data.assignAndSum(centers: centers, clusterCount: k, labels: &labels, distances: &nearest, secondDistances: nil)
        let inertia = nearest.reduce(0.0) { $0 + Double($1) }
        _ = strictlyConverged
        return (centers, labels, inertia, iterations)
    }
}

/// The data as centred float32 rows with their squared norms, for fast k-means distance products.
private final class CenteredSingleData: @unchecked Sendable {
    let rowCount: Int
    let columnCount: Int
    let mean: [Double]
    let rows: SinglePrecisionRows
    var values: UnsafeMutablePointer<Float> { rows.values }
    let squaredNorms: [Float]
    /// The mean over features of each feature's variance.
    let meanVariance: Double

    init(_ features: Matrix) {
        rowCount = features.rowCount
        columnCount = features.columnCount
        let mean = features.columnMeans()
        self.mean = mean
        let rows = SinglePrecisionRows(features, subtracting: mean)
        self.rows = rows
        let width = columnCount
        var norms = [Float](repeating: 0, count: rowCount)
        norms.withUnsafeMutableBufferPointer { normsOut in
            let normsTarget = UncheckedPointer(normsOut.baseAddress!)
            parallelRanges(features.rowCount, minimumPerChunk: 256) { range in
                for row in range {
                    var sum: Float = 0
                    for column in 0..<width { let value = rows.values[row * width + column]; sum += value * value }
                    normsTarget.pointer[row] = sum
                }
            }
        }
        squaredNorms = norms
        let total = norms.reduce(0.0) { $0 + Double($1) }
        meanVariance = total / Double(rowCount) / Double(width)
    }

    func copyRow(_ row: Int, into centers: inout [Float], at offset: Int) {
        for column in 0..<columnCount { centers[offset + column] = values[row * columnCount + column] }
    }

    /// `body(rowRange, products)` over blocks of rows on all cores, with `products` holding `x · cⱼ`
    /// for the block (`paddedCount` per row) against `centers` (`count` rows, zero-padded to four).
    private func forEachProductBlock(centers: [Float], count: Int, _ body: (Range<Int>, UnsafeMutablePointer<Float>) -> Void) {
        let padded = paddedToFour(count), width = columnCount
        var paddedCenters = centers
        paddedCenters += [Float](repeating: 0, count: padded * width - centers.count)
        paddedCenters.withUnsafeBufferPointer { weights in
            parallelRanges(rowCount, minimumPerChunk: 1024) { range in
                let block = 256
                let products = UnsafeMutablePointer<Float>.allocate(capacity: block * padded)
                defer { products.deallocate() }
                for start in stride(from: range.lowerBound, to: range.upperBound, by: block) {
                    let rows = start..<min(start + block, range.upperBound)
                    self.rows.products(rows: rows, weights: weights.baseAddress!, paddedCount: padded, into: products)
                    body(rows, products)
                }
            }
        }
    }

    /// Squared distances from every row to each of the rows `indices` (one array per index).
    func squaredDistances(toRows indices: [Int]) -> [[Double]] {
        var candidates = [Float](repeating: 0, count: indices.count * columnCount)
        for (position, index) in indices.enumerated() { copyRow(index, into: &candidates, at: position * columnCount) }
        let m = indices.count, padded = paddedToFour(m)
        var result = [[Double]](repeating: [Double](repeating: 0, count: rowCount), count: m)
        let candidateNorms = indices.map { squaredNorms[$0] }
        var flat = [Double](repeating: 0, count: m * rowCount)
        flat.withUnsafeMutableBufferPointer { output in
            let target = UncheckedPointer(output.baseAddress!)
            forEachProductBlock(centers: candidates, count: m) { rows, products in
                for row in rows {
                    for position in 0..<m {
                        let product = products[(row - rows.lowerBound) * padded + position]
                        target.pointer[position * self.rowCount + row] = Double(max(self.squaredNorms[row] - 2 * product + candidateNorms[position], 0))
                    }
                }
            }
        }
        for position in 0..<m { result[position] = Array(flat[(position * rowCount)..<((position + 1) * rowCount)]) }
        return result
    }

    /// Nearest centre of each row and the squared distance to it, and in the same pass over the data
    /// (each block of rows still in cache) the per-cluster sums of the rows (float64) and counts.
    func assignAndSum(centers: [Float], clusterCount k: Int, labels: inout [Int32], distances: inout [Float],
                      secondDistances: UnsafeMutablePointer<Float>?) -> (sums: [Double], counts: [Int]) {
        let secondTarget = secondDistances.map { UncheckedPointer($0) }
        let n = rowCount, width = columnCount, padded = paddedToFour(k)
        var centerNorms = [Float](repeating: 0, count: k)
        for center in 0..<k { for column in 0..<width { centerNorms[center] += centers[center * width + column] * centers[center * width + column] } }
        var paddedCenters = centers
        paddedCenters += [Float](repeating: 0, count: padded * width - centers.count)
        let chunks = min(Cores.count, max(1, n / 2048))
        var partialSums = [[Double]](repeating: [], count: chunks)
        var partialCounts = [[Int]](repeating: [], count: chunks)
        labels.withUnsafeMutableBufferPointer { labelsOut in
            distances.withUnsafeMutableBufferPointer { distancesOut in
                partialSums.withUnsafeMutableBufferPointer { sumsOut in
                    partialCounts.withUnsafeMutableBufferPointer { countsOut in
                        paddedCenters.withUnsafeBufferPointer { weights in
                            let labelTarget = UncheckedPointer(labelsOut.baseAddress!), distanceTarget = UncheckedPointer(distancesOut.baseAddress!)
                            let sumsTarget = UncheckedPointer(sumsOut.baseAddress!), countsTarget = UncheckedPointer(countsOut.baseAddress!)
                            parallelForEach(chunks) { chunk in
                                let block = 256
                                let products = UnsafeMutablePointer<Float>.allocate(capacity: block * padded)
                                // Block sums in float32, flushed to float64 after every block.
                                let blockSums = UnsafeMutablePointer<Float>.allocate(capacity: k * width)
                                defer { products.deallocate(); blockSums.deallocate() }
                                var sums = [Double](repeating: 0, count: k * width)
                                var counts = [Int](repeating: 0, count: k)
                                let end = chunkRange(chunk, of: chunks, count: n).upperBound
                                for start in stride(from: chunkRange(chunk, of: chunks, count: n).lowerBound, to: end, by: block) {
                                    let rows = start..<min(start + block, end)
                                    self.rows.products(rows: rows, weights: weights.baseAddress!, paddedCount: padded, into: products)
                                    blockSums.initialize(repeating: 0, count: k * width)
                                    for row in rows {
                                        let local = row - start
                                        var best = 0, bestDistance = Float.infinity, secondDistance = Float.infinity
                                        for center in 0..<k {
                                            let distance = centerNorms[center] - 2 * products[local * padded + center]
                                            if distance < bestDistance {
                                                secondDistance = bestDistance; bestDistance = distance; best = center
                                            } else if distance < secondDistance {
                                                secondDistance = distance
                                            }
                                        }
                                        labelTarget.pointer[row] = Int32(best)
                                        distanceTarget.pointer[row] = max(bestDistance + self.squaredNorms[row], 0)
                                        secondTarget?.pointer[row] = max(secondDistance + self.squaredNorms[row], 0)
                                        counts[best] += 1
                                        let source = UnsafeRawPointer(self.values + row * width)
                                        let target = UnsafeMutableRawPointer(blockSums + best * width)
                                        var column = 0
                                        while column + 4 <= width {
                                            let offset = column &* 4
                                            target.storeBytes(of: target.loadUnaligned(fromByteOffset: offset, as: SIMD4<Float>.self)
                                                                  + source.loadUnaligned(fromByteOffset: offset, as: SIMD4<Float>.self),
                                                              toByteOffset: offset, as: SIMD4<Float>.self)
                                            column &+= 4
                                        }
                                        while column < width { blockSums[best * width + column] += self.values[row * width + column]; column += 1 }
                                    }
                                    for index in 0..<(k * width) { sums[index] += Double(blockSums[index]) }
                                }
                                sumsTarget.pointer[chunk] = sums
                                countsTarget.pointer[chunk] = counts
                            }
                        }
                    }
                }
            }
        }
        var sums = partialSums[0], counts = partialCounts[0]
        for chunk in 1..<chunks {
            for index in 0..<(k * width) { sums[index] += partialSums[chunk][index] }
            for center in 0..<k { counts[center] += partialCounts[chunk][center] }
        }
        return (sums, counts)
    }

    /// One Hamerly assignment step: points whose bounds prove they keep their centre are skipped; the
    /// others get all `k` distances, fresh bounds, and possibly a new label. Returns how many points
    /// changed cluster and the resulting changes to the cluster sums (float64) and counts.
    func boundedAssign(centers: [Float], clusterCount k: Int, labels: inout [Int32], upper: inout [Double], lower: inout [Double])
        -> (changed: Int, sumChanges: [Double], countChanges: [Int]) {
        let n = rowCount, width = columnCount, padded = paddedToFour(k)
        var centerNorms = [Float](repeating: 0, count: k)
        for center in 0..<k { for column in 0..<width { centerNorms[center] += centers[center * width + column] * centers[center * width + column] } }
        // Half the distance from each centre to its nearest other centre.
        var halfSeparation = [Double](repeating: .infinity, count: k)
        for a in 0..<k {
            for b in (a + 1)..<max(a + 1, k) {
                var squared = 0.0
                for column in 0..<width { let d = Double(centers[a * width + column] - centers[b * width + column]); squared += d * d }
                let half = squared.squareRoot() / 2
                halfSeparation[a] = min(halfSeparation[a], half); halfSeparation[b] = min(halfSeparation[b], half)
            }
        }
        var paddedCenters = centers
        paddedCenters += [Float](repeating: 0, count: padded * width - centers.count)
        let chunks = min(Cores.count, max(1, n / 2048))
        var partialSums = [[Double]](repeating: [], count: chunks)
        var partialCounts = [[Int]](repeating: [], count: chunks)
        var partialChanged = [Int](repeating: 0, count: chunks)
        labels.withUnsafeMutableBufferPointer { labelsOut in
            upper.withUnsafeMutableBufferPointer { upperOut in
                lower.withUnsafeMutableBufferPointer { lowerOut in
                    partialSums.withUnsafeMutableBufferPointer { sumsOut in
                        partialCounts.withUnsafeMutableBufferPointer { countsOut in
                            partialChanged.withUnsafeMutableBufferPointer { changedOut in
                                paddedCenters.withUnsafeBufferPointer { weights in
                                    let labelTarget = UncheckedPointer(labelsOut.baseAddress!)
                                    let upperTarget = UncheckedPointer(upperOut.baseAddress!), lowerTarget = UncheckedPointer(lowerOut.baseAddress!)
                                    let sumsTarget = UncheckedPointer(sumsOut.baseAddress!), countsTarget = UncheckedPointer(countsOut.baseAddress!)
                                    let changedTarget = UncheckedPointer(changedOut.baseAddress!)
                                    parallelForEach(chunks) { chunk in
                                        let products = UnsafeMutablePointer<Float>.allocate(capacity: padded)
                                        defer { products.deallocate() }
                                        var sums = [Double](repeating: 0, count: k * width)
                                        var counts = [Int](repeating: 0, count: k)
                                        var changed = 0
                                        for point in chunkRange(chunk, of: chunks, count: n) {
                                            let own = Int(labelTarget.pointer[point])
                                            // A hair of slack so rounding in the float32 distances never skips a point
                                            // that Lloyd's comparison would move.
                                            let bound = max(halfSeparation[own], lowerTarget.pointer[point])
                                            if upperTarget.pointer[point] < bound * (1 - 1e-6) { continue }
                                            self.rows.products(rows: point..<(point + 1), weights: weights.baseAddress!, paddedCount: padded, into: products)
                                            var best = 0, bestDistance = Float.infinity, secondDistance = Float.infinity
                                            for center in 0..<k {
                                                let distance = centerNorms[center] - 2 * products[center]
                                                if distance < bestDistance {
                                                    secondDistance = bestDistance; bestDistance = distance; best = center
                                                } else if distance < secondDistance {
                                                    secondDistance = distance
                                                }
                                            }
                                            upperTarget.pointer[point] = Double(max(bestDistance + self.squaredNorms[point], 0)).squareRoot()
                                            lowerTarget.pointer[point] = Double(max(secondDistance + self.squaredNorms[point], 0)).squareRoot()
                                            if best != own {
                                                changed += 1
                                                labelTarget.pointer[point] = Int32(best)
                                                counts[own] -= 1; counts[best] += 1
                                                let source = self.values + point * width
                                                for column in 0..<width {
                                                    let value = Double(source[column])
                                                    sums[own * width + column] -= value
                                                    sums[best * width + column] += value
                                                }
                                            }
                                        }
                                        sumsTarget.pointer[chunk] = sums
                                        countsTarget.pointer[chunk] = counts
                                        changedTarget.pointer[chunk] = changed
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
        var sums = partialSums[0], counts = partialCounts[0]
        for chunk in 1..<chunks {
            for index in 0..<(k * width) { sums[index] += partialSums[chunk][index] }
            for center in 0..<k { counts[center] += partialCounts[chunk][center] }
        }
        return (partialChanged.reduce(0, +), sums, counts)
    }

    /// The mean of each cluster's rows from their sums. An empty cluster takes the point farthest from
    /// its centre, as scikit-learn relocates empty clusters.
    func means(sums: [Double], counts: [Int], clusterCount k: Int, distances: [Float]) -> [Float] {
        let width = columnCount
        var result = [Float](repeating: 0, count: k * width)
        // Only sorted when some cluster is empty, which is rare.
        var farthest = (counts.contains(0) ? distances.indices.sorted { distances[$0] > distances[$1] } : []).makeIterator()
        for center in 0..<k {
            if counts[center] > 0 {
                for column in 0..<width { result[center * width + column] = Float(sums[center * width + column] / Double(counts[center])) }
            } else if let row = farthest.next() {
                for column in 0..<width { result[center * width + column] = values[row * width + column] }
            }
        }
        return result
    }
}

extension Matrix {
    /// The column index of the smallest value in each row.
    func rowArgmin() -> [Int] {
        (0..<rowCount).map { row in
            var best = 0, bestValue = Double.infinity
            for column in 0..<columnCount where values[row * columnCount + column] < bestValue {
                bestValue = values[row * columnCount + column]; best = column
            }
            return best
        }
    }
}
