import Nabla
import NablaCheckpoint
import NablaNN
import NablaOptim
import NablaTrain

/// One stage of the critical-points lab: every run's network trained side by side, full batch, on the
/// squared error or on the squared gradient norm ‖∇L‖².
///
/// Each network has its own parameters and its own objective, and each is back-propagated on its own,
/// so its gradients are exactly its own; one Adam over all the parameters then steps every network
/// exactly as a separate Adam would (Adam's update is element-wise). A "batch" is a step number; an
/// epoch is `stepsPerEpoch` steps, so a long stage is checkpointed as it goes. Nothing is drawn at
/// random during training; the search's only state besides the networks and Adam is each network's
/// best point so far, saved in the checkpoint.
final class CriticalPointTask: TrainingTask {
    enum Objective { case squaredError, gradientNorm }

    /// Steps between checkpoints (the last epoch may be shorter).
    static let stepsPerEpoch = 100

    let networks: ModuleDictionary<Sequential>
    let objective: Objective
    let optimizer: Adam
    let inputs: Tensor
    let targets: Tensor
    let steps: Int
    /// For the search: each network's smallest gradient norm met so far and its parameters there.
    private(set) var bestNorms: [Double]
    private(set) var bestValues: [[[Float]]]

    /// `startNorms`: each network's gradient norm at the start (the search keeps the start as its best
    /// point until it finds a smaller norm); empty for ordinary training.
    init(networks: [Sequential], objective: Objective, learningRate: Double, steps: Int, inputs: Tensor, targets: Tensor, startNorms: [Double] = []) {
        self.networks = ModuleDictionary(networks.enumerated().map { (key: "run\($0.offset + 1)", module: $0.element) })
        self.objective = objective
        optimizer = Adam(networks.flatMap { $0.parameters() }, configuration: .init(learningRate: learningRate))
        self.inputs = inputs
        self.targets = targets
        self.steps = steps
        bestNorms = startNorms.isEmpty ? networks.map { _ in .infinity } : startNorms
        bestValues = networks.map { $0.parameters().map(\.scalars) }
    }

    var epochs: Int { max(1, (steps + Self.stepsPerEpoch - 1) / Self.stepsPerEpoch) }
    var models: KeyValuePairs<String, Module> { ["networks": networks] }
    var optimizers: KeyValuePairs<String, any Optimizer> { ["adam": optimizer] }
    var batchesPerEpoch: Int { max(1, min(Self.stepsPerEpoch, steps)) }

    func epochBatches(epoch: Int) -> AnyIterator<Int> {
        let first = (epoch - 1) * batchesPerEpoch
        return AnyIterator((first..<min(steps, first + batchesPerEpoch)).makeIterator())
    }

    func trainStep(_ step: Int) throws -> StepResult {
        optimizer.zeroGradients()
        var sum = 0.0
        for (index, network) in networks.values.enumerated() {
            let value: Tensor
            switch objective {
            case .squaredError:
                value = CriticalPointsLab.loss(network, inputs, targets)
            case .gradientNorm:
                value = CriticalPointsLab.gradientNormSquared(network, inputs, targets, createGraph: true)
                let norm = Double(value.item).squareRoot()
                if norm < bestNorms[index] { (bestNorms[index], bestValues[index]) = (norm, network.parameters().map(\.scalars)) }
            }
            sum += Double(value.item)
            value.backward()
        }
        optimizer.step()
        // The loss is the mean objective over the networks; every network sees all the target's points.
        return StepResult(loss: sum / Double(max(networks.count, 1)), count: inputs.shape[0])
    }

    /// The best points, as bits (exact, infinities included).
    private struct Best: Codable {
        var norms: [UInt64]
        var values: [[[UInt32]]]
    }

    func saveState(into checkpoint: inout TrainingCheckpoint) throws {
        guard objective == .gradientNorm else { return }
        try checkpoint.setRecord(Best(norms: bestNorms.map(\.bitPattern), values: bestValues.map { $0.map { $0.map(\.bitPattern) } }), forKey: "best")
    }

    func restoreState(from checkpoint: TrainingCheckpoint) throws {
        guard objective == .gradientNorm else { return }
        guard let best = try checkpoint.record(Best.self, forKey: "best"), best.norms.count == bestNorms.count,
              zip(best.values, bestValues).allSatisfy({ zip($0.0, $0.1).allSatisfy { $0.0.count == $0.1.count } && $0.0.count == $0.1.count }),
              best.values.count == bestValues.count else {
            throw RunFolderError("cannot resume: the checkpoint's 'best' record does not fit \(bestNorms.count) networks of this shape")
        }
        bestNorms = best.norms.map(Double.init(bitPattern:))
        bestValues = best.values.map { $0.map { $0.map(Float.init(bitPattern:)) } }
    }
}
