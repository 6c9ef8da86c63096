import Nabla
import NablaTestSupport
import Testing

// PyTorch's reference values for optimisers and schedules (optim.json in the golden folder, found by
// NablaTestSupport's `Golden`: $NABLA_GOLDEN, else the repository's Tests/Golden).

extension Tolerance {
    /// For optimiser trajectories: Nabla updates in float32, PyTorch's reference ran in float64, and a
    /// dozen steps accumulate a few float32 roundings, far below this.
    static let optimizer = Tolerance(absolute: 1e-5, relative: 1e-3)
}

/// One optimiser case: a parameter, the gradients fed to it one per step, and the parameter after each step.
struct GoldenOptimizerCase {
    let name: String
    let torch: String
    let initialParameter: Tensor
    let gradients: [Tensor]
    let parametersAfterEachStep: [Tensor]

    static let file = "optim.json"

    static func all() throws -> [GoldenOptimizerCase] { try Golden.cases("optimizers", in: file).map(decode) }

    static func named(_ name: String) throws -> GoldenOptimizerCase { try decode(Golden.case(name, "optimizers", in: file)) }

    private static func decode(_ entry: GoldenCase) throws -> GoldenOptimizerCase {
        let gradients = try entry.field("grads").array ?? []
        let after = try entry.field("params_after_each_step").array ?? []
        return GoldenOptimizerCase(
            name: entry.name, torch: try entry.field("torch").string ?? entry.name,
            initialParameter: try entry.tensor("param0"),
            gradients: try gradients.enumerated().map { try $0.element.tensor("\(entry.name).grads[\($0.offset)]") },
            parametersAfterEachStep: try after.enumerated().map {
                try $0.element.tensor("\(entry.name).params_after_each_step[\($0.offset)]")
            })
    }

    /// The case names, for `@Test(arguments:)`; empty when the file is missing (the presence test fails then).
    static var names: [String] { (try? Golden.cases("optimizers", in: file).map(\.name)) ?? [] }
}

/// One schedule case: the learning rate read before each of 20 steps, for a base rate of 0.1.
struct GoldenScheduleCase {
    let name: String
    let torch: String
    let learningRates: [Double]

    static func all() throws -> [GoldenScheduleCase] { try Golden.cases("schedules", in: GoldenOptimizerCase.file).map(decode) }

    static func named(_ name: String) throws -> GoldenScheduleCase {
        try decode(Golden.case(name, "schedules", in: GoldenOptimizerCase.file))
    }

    private static func decode(_ entry: GoldenCase) throws -> GoldenScheduleCase {
        let rates = try entry.field("lrs").array ?? []
        return GoldenScheduleCase(name: entry.name, torch: try entry.field("torch").string ?? entry.name,
                                  learningRates: try rates.map { value in try #require(value.number, "\(entry.name).lrs holds a non-number") })
    }

    static var names: [String] { (try? Golden.cases("schedules", in: GoldenOptimizerCase.file).map(\.name)) ?? [] }
}
