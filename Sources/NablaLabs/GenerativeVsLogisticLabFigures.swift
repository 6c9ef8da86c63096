import Foundation
import NablaTrain
import NablaViz

// The generative-vs-logistic lab's report: accuracy curves, paired differences, and tables.

extension GenerativeVsLogisticLab.Result {
    /// Per feature set: the accuracy curves and the differences; then the crossover verdicts and the
    /// accuracy tables.
    public var reportSections: [ReportSection] {
        var sections: [ReportSection] = []
        for panel in panels {
            sections.append(.figure("Test accuracy against training-set size, \(panel.featureCount) features", accuracyFigure(panel), caption:
                "Mean over \(settings.draws) draws per size: each a random \(Int(settings.testFraction * 100))% test split and a "
                + "stratified training set from the rest, standardised with its own statistics. Logistic regression λ = "
                + "\(short(settings.logisticPenalty)); separate covariances shrunk by r = \(short(settings.separateRegularization))."))
            sections.append(.figure("Generative minus logistic, \(panel.featureCount) features", differenceFigure(panel), caption:
                "Per-draw differences in test accuracy (generative − logistic), averaged; the band is ±2 standard errors for the "
                + "shared covariance. Above zero the generative model wins."))
        }
        sections.append(tableSection("Does the crossover appear?", crossoverTable, caption:
            "A model leads at a size when the mean paired difference exceeds two standard errors. The crossover appears when "
            + "the generative model leads at some size and logistic regression leads at every size from some point up to the largest."))
        sections.append(.text("What the data shows", findings))
        for panel in panels {
            sections.append(tableSection("Test accuracy, \(panel.featureCount) features (mean ± standard deviation over draws)",
                                         accuracyTable(panel)))
        }
        return sections
    }

    /// The lab's observations in words, with this run's numbers: where each generative model leads, and
    /// whether the lecture's claim holds on each feature set.
    public var findings: String {
        var paragraphs: [String] = []
        for panel in panels {
            let rows = crossovers.filter { $0.featureCount == panel.featureCount }
            var lines = rows.map { row in
                "\(row.model.prefix(1).uppercased() + row.model.dropFirst()) leads at \(row.generativeLeads.isEmpty ? "no size" : sizeList(row.generativeLeads)), logistic regression at "
                    + "\(row.logisticLeads.isEmpty ? "no size" : sizeList(row.logisticLeads)): crossover \(row.appears ? "yes" : "no")."
            }
            // The shared-covariance model's worst size, when it sits near the number of features: the pooled
            // covariance then has about as many dimensions as degrees of freedom.
            let shared = panel.accuracies[0].map { meanAndSpread($0).mean }
            if let worst = shared.indices.min(by: { shared[$0] < shared[$1] }), worst > 0,
               Double(sizes[worst]) >= 0.5 * Double(panel.featureCount), Double(sizes[worst]) <= 3 * Double(panel.featureCount) {
                lines.append("The shared-covariance curve dips to \(String(format: "%.3f", shared[worst])) at \(sizes[worst]) examples, "
                             + "about the number of features: the pooled covariance is then estimated from about as many samples as it "
                             + "has dimensions, and its inverse is poorly determined.")
            }
            paragraphs.append("\(panel.featureCount) features. " + lines.joined(separator: " "))
        }
        // The verdict per feature set, and what happens at the very smallest size.
        let verdicts = panels.map { panel -> String in
            let shown = crossovers.filter { $0.featureCount == panel.featureCount && $0.appears }.map(\.model)
            return "\(panel.featureCount) features: " + (shown.isEmpty ? "none" : shown.joined(separator: ", "))
        }
        paragraphs.append("The lecture's claim, a generative model ahead with few examples and logistic regression ahead with many "
                          + "(a lead beyond two standard errors of the paired differences over \(settings.draws) draws, the logistic "
                          + "lead lasting up to the largest size), shows for — " + verdicts.joined(separator: "; ") + ".")
        if crossovers.allSatisfy({ $0.logisticLeads.contains(sizes[0]) }) {
            paragraphs.append("At the smallest size (\(sizes[0]) examples) logistic regression leads every generative model on every "
                              + "feature set: a class mean and covariance cannot be estimated from two or three samples, so \"few "
                              + "examples\" favours the generative models only once each class has a few more than that.")
        }
        return paragraphs.joined(separator: "\n\n")
    }

    /// Mean test accuracy against training-set size (log scale) for every model, with the majority class.
    public func accuracyFigure(_ panel: GenerativeVsLogisticLab.Panel) -> LineChart {
        let x = sizes.map(Double.init)
        var series = GenerativeVsLogisticLab.modelNames.indices.map { m in
            LineChart.Series(name: GenerativeVsLogisticLab.modelNames[m], x: x, y: panel.accuracies[m].map { meanAndSpread($0).mean })
        }
        series.append(.init(name: "majority class", x: x, y: panel.majority.map { meanAndSpread($0).mean }, color: .grey))
        return LineChart(title: "Test accuracy, \(panel.featureCount) features", xLabel: "training examples",
                         yLabel: "test accuracy (mean of \(settings.draws) draws)", xScale: .logarithmic, series: series)
    }

    /// Generative minus logistic accuracy per size (paired by draw): above zero the generative model
    /// wins. The shared-covariance model, the lecture's, gets its ±2 standard-error band.
    public func differenceFigure(_ panel: GenerativeVsLogisticLab.Panel) -> LineChart {
        let x = sizes.map(Double.init)
        let rows = crossovers.filter { $0.featureCount == panel.featureCount }
        var series = rows.map { row in LineChart.Series(name: row.model, x: x, y: row.differences.map(\.mean)) }
        if let shared = rows.first {
            let band = Color(hex: 0x9EC5E8)
            series.append(.init(name: "shared cov. + 2 s.e.", x: x, y: shared.differences.map { $0.mean + 2 * $0.standardError }, color: band))
            series.append(.init(name: "shared cov. - 2 s.e.", x: x, y: shared.differences.map { $0.mean - 2 * $0.standardError }, color: band))
        }
        series.append(.init(name: "no difference", x: [x.first!, x.last!], y: [0, 0], color: .black))
        return LineChart(title: "Generative - logistic, \(panel.featureCount) features", xLabel: "training examples",
                         yLabel: "difference in test accuracy", xScale: .logarithmic, series: series)
    }

    /// Per size: the majority class and each model, mean ± standard deviation over draws.
    public func accuracyTable(_ panel: GenerativeVsLogisticLab.Panel) -> [[String]] {
        [["training examples", "majority class"] + GenerativeVsLogisticLab.modelNames] + sizes.indices.map { s in
            ["\(sizes[s])", spreadText(panel.majority[s])] + panel.accuracies.map { spreadText($0[s]) }
        }
    }

    /// For each feature set and generative model: where it leads, where logistic regression leads,
    /// and whether the lecture's crossover appears.
    public var crossoverTable: [[String]] {
        [["features", "generative model", "generative leads at", "logistic leads at", "crossover"]] + crossovers.map { row in
            ["\(row.featureCount)", row.model, sizeList(row.generativeLeads), sizeList(row.logisticLeads), row.appears ? "yes" : "no"]
        }
    }

    private func spreadText(_ values: [Double]) -> String {
        let (mean, spread) = meanAndSpread(values)
        return String(format: "%.3f ± %.3f", mean, spread)
    }

    private func sizeList(_ sizes: [Int]) -> String { sizes.isEmpty ? "—" : sizes.map(String.init).joined(separator: ", ") }
}
