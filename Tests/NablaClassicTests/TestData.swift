import Nabla
@testable import NablaClassic
import NablaData
import NablaTestSupport
import Testing

/// Small data shared by the NablaClassic tests.
enum TestData {
    /// Three well-separated Gaussian blobs in `dimensions` dimensions, 30 points each.
    static func blobs(dimensions: Int = 2, perCenter: Int = 30, seed: UInt64 = 1) -> ClassicDataset {
        let centers = (0..<3).map { center in (0..<dimensions).map { axis in axis == center % dimensions ? 10.0 * Double(center + 1) : 0 } }
        return SyntheticData.blobs(samplesPerCenter: perCenter, standardDeviation: 0.5, centers: centers,
                                   generator: RandomGenerator(seed: seed))
    }

    /// Whether Debian's python3-sklearn data folder is present (tests on the built-in sets need it).
    static var hasBuiltInData: Bool {
        FileReading.exists(ClassicDataset.resolveFolder() + "/iris.csv")
    }

    static func iris() throws -> ClassicDataset { try ClassicDataset.builtIn(.iris) }
}

/// `expectClose` for a scalar pair of doubles.
func expectNear(_ actual: Double, _ expected: Double, _ label: String, absolute: Double = 1e-9, relative: Double = 1e-9,
                sourceLocation: SourceLocation = #_sourceLocation) {
    expectClose([actual], [expected], label, tolerance: Tolerance(absolute: absolute, relative: relative), sourceLocation: sourceLocation)
}

/// Runs `body` and checks it throws a `ClassicError` of `kind` whose description contains every fragment.
func expectClassicError(_ kind: ClassicError.Kind, containing fragments: [String] = [],
                        sourceLocation: SourceLocation = #_sourceLocation, _ body: () throws -> Void) {
    do {
        try body()
        Issue.record("expected a ClassicError (\(kind.rawValue)) but nothing was thrown", sourceLocation: sourceLocation)
    } catch let error as ClassicError {
        #expect(error.kind == kind, "kind: \(error)", sourceLocation: sourceLocation)
        for fragment in fragments {
            #expect(error.description.contains(fragment), "'\(fragment)' missing from: \(error)", sourceLocation: sourceLocation)
        }
    } catch {
        Issue.record("expected a ClassicError but got \(error)", sourceLocation: sourceLocation)
    }
}
