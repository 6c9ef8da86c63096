#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A quadtree over 2-D points for the Barnes–Hut approximation of t-SNE's repulsive forces
/// (van der Maaten, 2014). Every cell stores its centre of mass, its number of points and the square
/// of its widest side; a leaf holds one point (or several identical ones). Seen from a point at squared
/// distance `d²` from a cell's centre of mass, a cell with `width² / d² < θ²` acts as one body of its
/// total size; otherwise its children are visited. This is scikit-learn's `_QuadTree.summarize`.
///
/// Nodes are 32-byte records in one array in depth-first preorder, each holding the index just past
/// its subtree, so a traversal is a forward scan that either steps into a cell (the next record) or
/// jumps over it: no stack, and memory read in order.
struct BarnesHutTree {
    struct Node {
        var centerX: Double
        var centerY: Double
        var size: Float
        var squaredWidth: Float
        /// The index just past this cell's subtree (the next node when the cell is summarised).
        var next: Int32
        /// 1 for a leaf, 0 for a cell with children (the first child is the next node).
        var isLeaf: Int32
    }

    private(set) var nodes: [Node] = []
    private var order: [Int32]
    private var scratch: [Int32]

    /// Builds the tree over `positions` (`n × 2`, row-major).
    init(positions: UnsafePointer<Double>, count n: Int) {
        order = (0..<Int32(n)).map { $0 }
        scratch = order
        var minimumX = Double.infinity, minimumY = Double.infinity, maximumX = -Double.infinity, maximumY = -Double.infinity
        for index in 0..<n {
            minimumX = min(minimumX, positions[2 * index]); maximumX = max(maximumX, positions[2 * index])
            minimumY = min(minimumY, positions[2 * index + 1]); maximumY = max(maximumY, positions[2 * index + 1])
        }
        // A small margin so points on the boundary fall inside, as scikit-learn does.
        let marginX = max((maximumX - minimumX) * 1e-3, 1e-3), marginY = max((maximumY - minimumY) * 1e-3, 1e-3)
        nodes.reserveCapacity(2 * n + 16)
        if n > 0 {
            build(range: 0..<n, minimumX: minimumX - marginX, maximumX: maximumX + marginX,
                  minimumY: minimumY - marginY, maximumY: maximumY + marginY, positions: positions, depth: 0)
        }
    }

    private mutating func build(range: Range<Int>, minimumX: Double, maximumX: Double, minimumY: Double,
                                maximumY: Double, positions: UnsafePointer<Double>, depth: Int) {
        var sumX = 0.0, sumY = 0.0
        var allSame = true
        let firstPoint = Int(order[range.lowerBound])
        let firstX = positions[2 * firstPoint], firstY = positions[2 * firstPoint + 1]
        for index in range {
            let point = Int(order[index])
            let x = positions[2 * point], y = positions[2 * point + 1]
            sumX += x; sumY += y
            if x != firstX || y != firstY { allSame = false }
        }
        let count = Double(range.count)
        let width = max(maximumX - minimumX, maximumY - minimumY)
        let node = nodes.count
        nodes.append(Node(centerX: sumX / count, centerY: sumY / count, size: Float(count), squaredWidth: Float(width * width),
                          next: Int32(node + 1), isLeaf: 1))
        if range.count == 1 || allSame || depth >= 64 { return }
        // Partition into quadrants in place (a counting sort): bit 0 = right half, bit 1 = upper half.
        let middleX = (minimumX + maximumX) / 2, middleY = (minimumY + maximumY) / 2
        @inline(__always) func quadrant(of point: Int32) -> Int {
            (positions[2 * Int(point)] >= middleX ? 1 : 0) + (positions[2 * Int(point) + 1] >= middleY ? 2 : 0)
        }
        var counts: SIMD4<Int> = .zero
        for index in range { counts[quadrant(of: order[index])] += 1 }
        let starts = SIMD4<Int>(range.lowerBound, range.lowerBound + counts[0], range.lowerBound + counts[0] + counts[1],
                                range.lowerBound + counts[0] + counts[1] + counts[2])
        var next = starts
        for index in range { scratch[index] = order[index] }
        for index in range {
            let point = scratch[index]
            let target = quadrant(of: point)
            order[next[target]] = point
            next[target] += 1
        }
        for quadrant in 0..<4 where counts[quadrant] > 0 {
            let right = quadrant & 1 != 0, upper = quadrant & 2 != 0
            build(range: starts[quadrant]..<(starts[quadrant] + counts[quadrant]),
                  minimumX: right ? middleX : minimumX, maximumX: right ? maximumX : middleX,
                  minimumY: upper ? middleY : minimumY, maximumY: upper ? maximumY : middleY,
                  positions: positions, depth: depth + 1)
        }
        nodes[node].next = Int32(nodes.count)
        nodes[node].isLeaf = 0
    }

    /// The repulsive force on the point at `(x, y)` before normalisation, `Σ_cells size · q² · (y − c)`
    /// with `q = 1 / (1 + d²)`, and `Σ_cells size · q` (its share of the normalisation Z). A leaf at the
    /// point itself (within 10⁻⁶ in both coordinates) is skipped.
    @inline(__always)
    static func repulsion(nodes: UnsafeBufferPointer<Node>, x: Double, y: Double, squaredTheta: Double)
        -> (forceX: Double, forceY: Double, sumQ: Double) {
        var forceX = 0.0, forceY = 0.0, sumQ = 0.0
        var index = 0
        let count = nodes.count
        let base = nodes.baseAddress!
        while index < count {
            let node = base[index]
            let dx = x - node.centerX, dy = y - node.centerY
            let squaredDistance = dx * dx + dy * dy
            if node.isLeaf != 0 {
                index = Int(node.next)
                if abs(dx) <= 1e-6 && abs(dy) <= 1e-6 { continue }
            } else if Double(node.squaredWidth) < squaredTheta * squaredDistance {
                index = Int(node.next)
            } else {
                index &+= 1
                continue
            }
            let q = 1 / (1 + squaredDistance)
            let weighted = Double(node.size) * q
            sumQ += weighted
            let multiplier = weighted * q
            forceX += multiplier * dx
            forceY += multiplier * dy
        }
        return (forceX, forceY, sumQ)
    }
}
