import Testing
@testable import NablaGenerative

@Suite struct AnomalyMetricsTests {
    /// Hand-counted: of the 2 × 2 (anomaly, normal) pairs the anomalies win 3, so the AUC is 3/4; average
    /// precision from the top: 0.8 (anomaly, P = 1, R = 1/2), 0.4 (normal), 0.35 (anomaly, P = 2/3, R = 1),
    /// so ½·1 + ½·⅔ = 5/6 (scikit-learn gives 0.8333).
    @Test func smallCaseMatchesHandCounts() {
        let scores = [0.1, 0.4, 0.35, 0.8], anomalous = [false, false, true, true]
        #expect(abs(rocAUC(scores: scores, anomalous: anomalous) - 0.75) < 1e-12)
        #expect(abs(averagePrecision(scores: scores, anomalous: anomalous) - 5.0 / 6) < 1e-12)
        let curve = rocCurve(scores: scores, anomalous: anomalous)
        #expect(curve.falsePositiveRate == [0, 0, 0.5, 0.5, 1] && curve.truePositiveRate == [0, 0.5, 0.5, 1, 1])
    }

    /// Ties count one half: equal scores everywhere give 0.5; a perfect ranking 1, a reversed one 0.
    @Test func tiesAndExtremes() {
        #expect(rocAUC(scores: [1, 1, 1, 1], anomalous: [true, false, true, false]) == 0.5)
        #expect(rocAUC(scores: [0, 1, 2, 3], anomalous: [false, false, true, true]) == 1)
        #expect(rocAUC(scores: [3, 2, 1, 0], anomalous: [false, false, true, true]) == 0)
        // One tie between an anomaly and a normal example among 2 × 2 pairs: (3 + ½) / 4.
        #expect(rocAUC(scores: [0, 2, 2, 3], anomalous: [false, false, true, true]) == 0.875)
        #expect(averagePrecision(scores: [0, 1, 2, 3], anomalous: [false, false, true, true]) == 1)
        let curve = rocCurve(scores: [1, 1, 1, 1], anomalous: [true, false, true, false])
        #expect(curve.falsePositiveRate == [0, 1] && curve.truePositiveRate == [0, 1])
    }
}
