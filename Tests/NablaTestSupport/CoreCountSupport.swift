import Nabla
import Testing

// Parallel loops cut their work by the number of cores, so a machine with another count runs other
// chunk boundaries. `withCoreCount` simulates such machines on this one; these helpers run a
// computation as on one core and as on several others and compare.

/// The core counts compared with one core: odd, common, and more than most loops have chunks.
public let simulatedCoreCounts = [3, 8, 16, 64, 96]

/// Runs `compute` as on 1 core and as on each of `simulatedCoreCounts` cores and expects the same
/// values: bit for bit without a tolerance (loops whose chunks never change the order of any
/// element's arithmetic), or within `tolerance` where partial results of the chunks are added up.
/// `minimumChunkDivisor` (see `withCoreCount`) lets small inputs split into as many chunks as large ones.
public func expectSameOnAnyCoreCount(_ label: String, tolerance: Tolerance? = nil, minimumChunkDivisor: Int = 1,
                                     sourceLocation: SourceLocation = #_sourceLocation,
                                     _ compute: () -> [Double]) {
    let reference = withCoreCount(1) { compute() }
    for cores in simulatedCoreCounts {
        let values = withCoreCount(cores, minimumChunkDivisor: minimumChunkDivisor) { compute() }
        if let tolerance {
            expectClose(values, reference, "\(label) on \(cores) cores", tolerance: tolerance, sourceLocation: sourceLocation)
        } else {
            let differing = zip(values, reference).filter { $0.bitPattern != $1.bitPattern }.count
            #expect(values.count == reference.count && differing == 0,
                    "\(label) on \(cores) cores: \(differing) of \(reference.count) values differ from one core's",
                    sourceLocation: sourceLocation)
        }
    }
}

/// The same for computations that give tensors, compared element by element in order.
public func expectSameOnAnyCoreCount(_ label: String, tolerance: Tolerance? = nil, minimumChunkDivisor: Int = 1,
                                     sourceLocation: SourceLocation = #_sourceLocation,
                                     tensors compute: () -> [Tensor]) {
    expectSameOnAnyCoreCount(label, tolerance: tolerance, minimumChunkDivisor: minimumChunkDivisor,
                             sourceLocation: sourceLocation) {
        compute().flatMap { $0.scalars.map(Double.init) }
    }
}
