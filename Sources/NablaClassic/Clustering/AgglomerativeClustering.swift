/// Hierarchical agglomerative clustering: start with every point its own cluster and repeatedly merge
/// the two closest clusters until `clusterCount` remain. "Closest" is the linkage:
///
/// - single: the nearest pair of members, `min d(a, b)`
/// - complete: the farthest pair, `max d(a, b)`
/// - average: the mean over all pairs (UPGMA)
/// - Ward: the merge that least increases the within-cluster sum of squares,
///   `Δ = |A||B| / (|A| + |B|) · ‖μ_A − μ_B‖²` (distances reported as `√(2Δ)`, as SciPy does)
///
/// Distances are Euclidean. After a merge the distance to every other cluster follows from the
/// Lance–Williams formula, and the nearest-neighbour chain algorithm finds merges in `O(n²)` time with
/// an `n × n` distance matrix (so tens of thousands of points need gigabytes; sample first).
///
/// ```swift
/// let result = try AgglomerativeClustering(clusterCount: 3, linkage: .ward).fit(points)
/// result.labels             // cluster of each point
/// result.merges.last!       // the final merge: (first, second, distance, size) as in SciPy's linkage matrix
/// ```
public struct AgglomerativeClustering: Sendable {
    public enum Linkage: String, Sendable, CaseIterable {
        case single, complete, average, ward
    }

    public var clusterCount: Int
    public var linkage: Linkage

    public init(clusterCount: Int, linkage: Linkage = .ward) {
        self.clusterCount = clusterCount
        self.linkage = linkage
    }

    /// One merge of the dendrogram, numbered as SciPy does: points are clusters `0..<n`, the cluster
    /// made by merge `m` is `n + m`.
    public struct Merge: Sendable, Equatable {
        public let first: Int
        public let second: Int
        public let distance: Double
        public let size: Int
    }

    public struct Result: Sendable {
        public let labels: [Int]
        /// All `n − 1` merges in order of increasing distance (the full dendrogram).
        public let merges: [Merge]
    }

    public func fit(_ features: Matrix) throws -> Result {
        let method = "agglomerative clustering"
        try validate(features, method: method)
        let n = features.rowCount
        if clusterCount < 1 || clusterCount > n {
            throw ClassicError(.tooManyComponents, method: method, "asks for \(clusterCount) clusters but there are \(n) samples; choose 1...\(n)")
        }
        try checkMatrixMemory(method: method, "the distance matrix", rows: n, columns: n)
        if n > 30_000 {
            throw ClassicError(.invalidParameter, method: method, "\(n) samples would need a \(n)×\(n) distance matrix; cluster a sample of at most 30,000")
        }
        // Working dissimilarities: squared distances for Ward (the Lance–Williams update is exact
        // for them), plain distances otherwise. Merges are found in chain order and sorted by distance
        // afterwards, which gives the same dendrogram for these (reducible) linkages.
        var distances = NearestNeighbors.squaredDistances(features, features).values
        // Values near ±1e308 square to infinity (and infinity minus infinity is NaN): no nearest pair
        // could then be found, so such data is refused rather than merged on meaningless distances.
        for index in 0..<n { distances[index * n + index] = 0 }   // a point's own distance may be ∞ − ∞ here
        if let position = distances.firstIndex(where: { !$0.isFinite }) {
            throw ClassicError(.nonFiniteValue, method: method,
                               "the squared distance between samples \(position / n) and \(position % n) overflows (values too large, e.g. near ±1e308); rescale the features first (--scale standard or min-max)")
        }
        if linkage != .ward { for index in distances.indices { distances[index] = distances[index].squareRoot() } }
        for index in 0..<n { distances[index * n + index] = .infinity }
        var sizes = [Int](repeating: 1, count: n)
        var active = [Bool](repeating: true, count: n)
        var clusterIdentifier = Array(0..<n)   // SciPy numbering of the cluster stored in slot i
        var merges: [(slotA: Int, slotB: Int, first: Int, second: Int, distance: Double, size: Int)] = []
        var chain: [Int] = []
        var remaining = n
        while remaining > 1 {
            if chain.isEmpty { chain.append(active.firstIndex(of: true)!) }
            // Grow the chain until two clusters are each other's nearest neighbours.
            while true {
                let current = chain[chain.count - 1]
                let previous = chain.count > 1 ? chain[chain.count - 2] : -1
                var nearest = -1, nearestDistance = Double.infinity
                for other in 0..<n where active[other] && other != current {
                    let distance = distances[current * n + other]
                    // Prefer the previous link on ties so the chain terminates.
                    if distance < nearestDistance || (distance == nearestDistance && other == previous) {
                        nearestDistance = distance; nearest = other
                    }
                }
                // Unreachable with finite distances (checked above); a guard so odd values cannot trap below.
                if nearest < 0 {
                    throw ClassicError(.numericalFailure, method: method, "no finite distance from cluster \(current) to any other; rescale the features")
                }
                if nearest == previous { break }
                chain.append(nearest)
            }
            let a = chain.removeLast(), b = chain.removeLast()
            let dab = distances[a * n + b]
            let (sizeA, sizeB) = (sizes[a], sizes[b])
            // Merge b into a (slot a holds the new cluster).
            for other in 0..<n where active[other] && other != a && other != b {
                let dao = distances[a * n + other], dbo = distances[b * n + other]
                let updated: Double
                switch linkage {
                case .single: updated = min(dao, dbo)
                case .complete: updated = max(dao, dbo)
                case .average: updated = (Double(sizeA) * dao + Double(sizeB) * dbo) / Double(sizeA + sizeB)
                case .ward:
                    let sizeO = Double(sizes[other]), total = Double(sizeA + sizeB) + sizeO
                    updated = ((Double(sizeA) + sizeO) * dao + (Double(sizeB) + sizeO) * dbo - sizeO * dab) / total
                }
                distances[a * n + other] = updated
                distances[other * n + a] = updated
            }
            active[b] = false
            sizes[a] = sizeA + sizeB
            // For Ward the working value is 2|A||B|/(|A|+|B|)·‖μ_A − μ_B‖² (‖a − b‖² for two points).
            let reported = linkage == .ward ? dab.squareRoot() : dab
            merges.append((a, b, min(clusterIdentifier[a], clusterIdentifier[b]), max(clusterIdentifier[a], clusterIdentifier[b]),
                           reported, sizeA + sizeB))
            clusterIdentifier[a] = n + merges.count - 1
            remaining -= 1
        }
        let ordered = merges.enumerated().sorted { $0.element.distance < $1.element.distance || ($0.element.distance == $1.element.distance && $0.offset < $1.offset) }
        // Labels: replay merges in distance order until clusterCount remain, with a union-find.
        var parent = Array(0..<n)
        func root(_ index: Int) -> Int {
            var index = index
            while parent[index] != index { parent[index] = parent[parent[index]]; index = parent[index] }
            return index
        }
        for (_, merge) in ordered.prefix(n - clusterCount) {
            parent[root(merge.slotB)] = root(merge.slotA)
        }
        // Slots a and b stand for the clusters at merge time; since merges replay in an order
        // consistent with the chain (a merged cluster is only used after it is formed), uniting slots works.
        let roots = (0..<n).map(root)
        let labels = ClusteringMetrics.codes(roots)
        let renumbered = renumberMerges(ordered.map { $0.element }, n: n)
        return Result(labels: labels, merges: renumbered)
    }

    /// Merges sorted by distance, with cluster numbers rewritten so that cluster `n + m` is the one made
    /// by the `m`-th merge in the sorted order (SciPy's convention).
    private func renumberMerges(_ merges: [(slotA: Int, slotB: Int, first: Int, second: Int, distance: Double, size: Int)], n: Int) -> [Merge] {
        var slotCluster = Array(0..<n)
        var result: [Merge] = []
        for (index, merge) in merges.enumerated() {
            let first = slotCluster[merge.slotA], second = slotCluster[merge.slotB]
            result.append(Merge(first: min(first, second), second: max(first, second), distance: merge.distance, size: merge.size))
            slotCluster[merge.slotA] = n + index
        }
        return result
    }
}
