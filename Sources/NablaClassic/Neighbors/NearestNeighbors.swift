import CNablaBLAS

/// Exact Euclidean distances and k-nearest neighbours, computed block by block with one matrix product
/// per block: `‖a − b‖² = ‖a‖² − 2 a·b + ‖b‖²`. The product runs in BLAS; the selection of the `k`
/// smallest per row runs on all cores. Memory stays at one block of distances, never `n × n`.
///
/// ```swift
/// let neighbours = try NearestNeighbors.search(points, neighborCount: 5)
/// neighbours.indices[0]            // the 5 nearest other points of point 0, nearest first
/// neighbours.squaredDistances[0]   // their squared distances
/// ```
public enum NearestNeighbors {
    /// The result of a k-nearest-neighbour search.
    public struct Result: Sendable {
        /// `indices[i]` lists the neighbours of query `i`, nearest first.
        public let indices: [[Int]]
        /// The matching squared Euclidean distances, computed directly (not by the product trick) so
        /// that near points keep full precision.
        public let squaredDistances: [[Double]]
    }

    /// The `neighborCount` nearest points of `points` to each point of `queries` (or to each point of
    /// `points` itself, excluding the point, when `queries` is nil).
    public static func search(_ points: Matrix, queries: Matrix? = nil, neighborCount: Int) throws -> Result {
        let method = "nearest neighbours"
        try validate(points, method: method)
        let excludingSelf = queries == nil
        let queries = queries ?? points
        try checkFeatureCount(queries, expected: points.columnCount, method: method)
        let available = points.rowCount - (excludingSelf ? 1 : 0)
        if neighborCount < 1 || neighborCount > available {
            throw ClassicError(.tooManyComponents, method: method,
                               "asks for \(neighborCount) neighbours but there are only \(available) other points; choose 1...\(max(available, 1))")
        }
        var indices = [[Int]](repeating: [], count: queries.rowCount)
        var distances = [[Double]](repeating: [], count: queries.rowCount)
        let width = points.columnCount
        forEachDistanceBlock(queries, points) { block, rows in
            let columns = points.rowCount
            indices.withUnsafeMutableBufferPointer { indicesOut in
                distances.withUnsafeMutableBufferPointer { distancesOut in
                    let indicesTarget = UncheckedPointer(indicesOut.baseAddress!), distancesTarget = UncheckedPointer(distancesOut.baseAddress!)
                    parallelRanges(rows.count, minimumPerChunk: 8) { range in
                        var heap = NeighborHeap(capacity: neighborCount)
                        for local in range {
                            let query = rows.lowerBound + local
                            heap.removeAll()
                            let row = block + local * columns
                            for candidate in 0..<columns where !(excludingSelf && candidate == query) {
                                heap.offer(distance: row[candidate], index: candidate)
                            }
                            let found = heap.sortedIndices()
                            // Recompute exactly: the product trick loses digits for near neighbours.
                            var exact = [Double](repeating: 0, count: found.count)
                            queries.values.withUnsafeBufferPointer { q in
                                points.values.withUnsafeBufferPointer { p in
                                    let a = q.baseAddress! + query * width
                                    for (position, index) in found.enumerated() {
                                        let b = p.baseAddress! + index * width
                                        var sum = 0.0
                                        for axis in 0..<width { let d = a[axis] - b[axis]; sum += d * d }
                                        exact[position] = sum
                                    }
                                }
                            }
                            // Re-sort by the exact distance (ties by index) so "nearest first" holds exactly.
                            let order = found.indices.sorted { exact[$0] < exact[$1] || (exact[$0] == exact[$1] && found[$0] < found[$1]) }
                            indicesTarget.pointer[query] = order.map { found[$0] }
                            distancesTarget.pointer[query] = order.map { exact[$0] }
                        }
                    }
                }
            }
        }
        return Result(indices: indices, squaredDistances: distances)
    }

    /// All squared distances between the rows of `a` and the rows of `b` (`a.rowCount × b.rowCount`),
    /// clamped at zero. For small data; use `forEachDistanceBlock` for large.
    public static func squaredDistances(_ a: Matrix, _ b: Matrix) -> Matrix {
        var result = Matrix(rowCount: a.rowCount, columnCount: b.rowCount)
        result.values.withUnsafeMutableBufferPointer { output in
            forEachDistanceBlock(a, b) { block, rows in
                (output.baseAddress! + rows.lowerBound * b.rowCount).update(from: block, count: rows.count * b.rowCount)
            }
        }
        return result
    }

    /// Calls `body` with consecutive blocks of the squared-distance matrix between rows of `a` and rows
    /// of `b`: a pointer to `rows.count × b.rowCount` values (row-major) and the rows of `a` it covers.
    static func forEachDistanceBlock(_ a: Matrix, _ b: Matrix, _ body: (UnsafePointer<Double>, Range<Int>) -> Void) {
        precondition(a.columnCount == b.columnCount, "squared distances: \(a.columnCount) features against \(b.columnCount)")
        let m = a.rowCount, n = b.rowCount, width = a.columnCount
        if m == 0 || n == 0 { return }
        let aNorms = a.rowSquaredNorms(), bNorms = b.rowSquaredNorms()
        // About 4 M doubles (32 MB) per block.
        let blockRows = max(1, min(m, (1 << 22) / n))
        let block = UnsafeMutablePointer<Double>.allocate(capacity: blockRows * n)
        defer { block.deallocate() }
        a.values.withUnsafeBufferPointer { left in
            b.values.withUnsafeBufferPointer { right in
                for start in stride(from: 0, to: m, by: blockRows) {
                    let rows = start..<min(start + blockRows, m)
                    if width > 0 {
                        cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasTrans, Int32(rows.count), Int32(n), Int32(width), -2,
                                    left.baseAddress! + start * width, Int32(width), right.baseAddress, Int32(width), 0, block, Int32(n))
                    } else {
                        block.initialize(repeating: 0, count: rows.count * n)
                    }
                    let target = UncheckedPointer(block)
                    parallelRanges(rows.count, minimumPerChunk: max(1, 4096 / max(n, 1))) { range in
                        for local in range {
                            let row = target.pointer + local * n, norm = aNorms[start + local]
                            for column in 0..<n { row[column] = max(row[column] + norm + bNorms[column], 0) }
                        }
                    }
                    body(UnsafePointer(block), rows)
                }
            }
        }
    }
}

/// A bounded max-heap keeping the `capacity` smallest distances offered.
struct NeighborHeap {
    private(set) var distances: [Double] = []
    private(set) var indices: [Int] = []
    let capacity: Int

    init(capacity: Int) {
        self.capacity = capacity
        distances.reserveCapacity(capacity)
        indices.reserveCapacity(capacity)
    }

    mutating func removeAll() {
        distances.removeAll(keepingCapacity: true)
        indices.removeAll(keepingCapacity: true)
    }

    @inline(__always)
    mutating func offer(distance: Double, index: Int) {
        if distances.count < capacity {
            distances.append(distance); indices.append(index)
            var child = distances.count - 1
            while child > 0 {
                let parent = (child - 1) / 2
                if distances[parent] >= distances[child] { break }
                distances.swapAt(parent, child); indices.swapAt(parent, child)
                child = parent
            }
        } else if distance < distances[0] {
            distances[0] = distance; indices[0] = index
            var parent = 0
            while true {
                let left = 2 * parent + 1, right = left + 1
                var largest = parent
                if left < capacity && distances[left] > distances[largest] { largest = left }
                if right < capacity && distances[right] > distances[largest] { largest = right }
                if largest == parent { break }
                distances.swapAt(parent, largest); indices.swapAt(parent, largest)
                parent = largest
            }
        }
    }

    /// The kept indices, nearest first.
    func sortedIndices() -> [Int] {
        indices.indices.sorted { distances[$0] < distances[$1] }.map { indices[$0] }
    }
}
