/// Contour lines of a sampled scalar field by marching squares: where z(x, y) crosses a level, as
/// polylines in data coordinates.
///
/// The field is a grid: `values[row][column]` is z at (`x[column]`, `y[row]`), both coordinate lists
/// increasing. Each grid cell whose corners lie on both sides of the level gets one segment (two at a
/// saddle, split the way the cell's mean value says), with the crossing on each edge placed by linear
/// interpolation. Cells with a NaN or infinite corner get none, so missing data leaves a gap rather than
/// a wrong line. Segments are then joined into polylines; a closed contour ends where it starts.
///
/// ```swift
/// let grid = (0..<41).map { -2 + Double($0) * 0.1 }
/// let bowl = grid.map { y in grid.map { x in x * x + y * y } }
/// let rings = MarchingSquares.contours(values: bowl, x: grid, y: grid, level: 1)   // one ring of radius ≈ 1
/// ```
public enum MarchingSquares {
    /// The segments where the field crosses `level`, unjoined.
    public static func segments(values: [[Double]], x: [Double], y: [Double], level: Double) -> [(Point, Point)] {
        precondition(values.count == y.count && values.allSatisfy { $0.count == x.count },
                     "MarchingSquares: values must be \(y.count) rows of \(x.count), one per (y, x) pair")
        guard x.count >= 2, y.count >= 2, level.isFinite else { return [] }
        var result: [(Point, Point)] = []
        // The crossing on the edge between grid points a and b, always computed from the lower-index
        // end, so the two cells sharing an edge produce the same point and the segments can be joined.
        // A level met exactly at a grid point gives that point itself, whichever edge reaches it (a + 1·(b − a)
        // need not round to b), so the line stays joined through it.
        func crossing(_ a: (column: Int, row: Int), _ b: (column: Int, row: Int)) -> Point {
            let valueA = values[a.row][a.column], valueB = values[b.row][b.column]
            if valueA == level { return Point(x: x[a.column], y: y[a.row]) }
            if valueB == level { return Point(x: x[b.column], y: y[b.row]) }
            let t = (level - valueA) / (valueB - valueA)
            return Point(x: x[a.column] + t * (x[b.column] - x[a.column]), y: y[a.row] + t * (y[b.row] - y[a.row]))
        }
        for row in 0..<(y.count - 1) {
            for column in 0..<(x.count - 1) {
                let corners = [values[row][column], values[row][column + 1], values[row + 1][column + 1], values[row + 1][column]]
                guard corners.allSatisfy(\.isFinite) else { continue }
                // Corner order: bottom-left, bottom-right, top-right, top-left (y grows upwards here).
                let above = corners.map { $0 > level }
                let bottom = above[0] != above[1] ? crossing((column, row), (column + 1, row)) : nil
                let right = above[1] != above[2] ? crossing((column + 1, row), (column + 1, row + 1)) : nil
                let top = above[3] != above[2] ? crossing((column, row + 1), (column + 1, row + 1)) : nil
                let left = above[0] != above[3] ? crossing((column, row), (column, row + 1)) : nil
                let cellSegments: [(Point, Point)]
                switch (bottom, right, top, left) {
                case let (bottom?, right?, top?, left?):
                    // A saddle: two corners above on one diagonal. The mean decides which pair of
                    // opposite corners the level separates.
                    let centreAbove = corners.reduce(0, +) / 4 > level
                    cellSegments = centreAbove == above[0] ? [(bottom, right), (top, left)] : [(bottom, left), (top, right)]
                default:
                    let crossings = [bottom, right, top, left].compactMap { $0 }
                    cellSegments = crossings.count == 2 ? [(crossings[0], crossings[1])] : []
                }
                // A level met exactly at a corner can give a segment of no length; it draws nothing and
                // would dangle off the line when segments are joined.
                result += cellSegments.filter { $0.0 != $0.1 }
            }
        }
        return result
    }

    /// The contour lines at `level` as polylines (closed ones repeat their first point at the end).
    public static func contours(values: [[Double]], x: [Double], y: [Double], level: Double) -> [[Point]] {
        joined(segments(values: values, x: x, y: y, level: level))
    }

    /// Joins segments that share end points into polylines.
    static func joined(_ segments: [(Point, Point)]) -> [[Point]] {
        var ends: [Point: [Int]] = [:]
        for (index, segment) in segments.enumerated() {
            ends[segment.0, default: []].append(index)
            ends[segment.1, default: []].append(index)
        }
        var used = [Bool](repeating: false, count: segments.count)
        /// An unused segment touching `point`, marked used, and its other end.
        func next(from point: Point) -> Point? {
            guard let index = ends[point]?.first(where: { !used[$0] }) else { return nil }
            used[index] = true
            return segments[index].0 == point ? segments[index].1 : segments[index].0
        }
        var lines: [[Point]] = []
        for index in segments.indices where !used[index] {
            used[index] = true
            var line = [segments[index].0, segments[index].1]
            while let point = next(from: line[line.count - 1]) { line.append(point) }
            var head: [Point] = []
            while let point = next(from: head.last ?? line[0]) { head.append(point) }
            lines.append(head.reversed() + line)
        }
        return lines
    }
}
