import Nabla
import NablaOptim

/// Several named optimisers seen as one, so that a training checkpoint (which holds one optimiser's
/// state) saves and restores all of a task's optimisers — a GAN's generator and discriminator optimisers,
/// say — in one atomic file.
///
/// The combined state lists each optimiser's parameter groups in turn, with parameter indices numbered
/// on across optimisers (as if they were one PyTorch optimiser with more groups); its type name records
/// every name and type (`NamedOptimizers[generator=Adam,discriminator=SGD]`), so a checkpoint is never
/// loaded into a differently composed task. `step()` and `zeroGradients()` act on every optimiser.
public final class NamedOptimizers: Optimizer, OptimizerStateSaving {
    public let entries: [(name: String, optimizer: any Optimizer)]

    public init(_ entries: [(name: String, optimizer: any Optimizer)]) {
        self.entries = entries
    }

    public func step() { entries.forEach { $0.optimizer.step() } }
    public func zeroGradients() { entries.forEach { $0.optimizer.zeroGradients() } }
    public var parameters: [Tensor] { entries.flatMap(\.optimizer.parameters) }

    public var learningRates: [Double] {
        get { entries.flatMap(\.optimizer.learningRates) }
        set {
            var rest = newValue[...]
            for entry in entries {
                let count = entry.optimizer.learningRates.count
                entry.optimizer.learningRates = Array(rest.prefix(count))
                rest = rest.dropFirst(count)
            }
        }
    }

    public var scheduledMomenta: [Double?] {
        get { entries.flatMap(\.optimizer.scheduledMomenta) }
        set {
            var rest = newValue[...]
            for entry in entries {
                let count = entry.optimizer.scheduledMomenta.count
                entry.optimizer.scheduledMomenta = Array(rest.prefix(count))
                rest = rest.dropFirst(count)
            }
        }
    }

    /// The type name that tells which optimisers, in which order, a state belongs to.
    var typeName: String {
        "NamedOptimizers[" + entries.map { "\($0.name)=\(type(of: $0.optimizer))" }.joined(separator: ",") + "]"
    }

    private func saving(_ entry: (name: String, optimizer: any Optimizer)) throws -> any OptimizerStateSaving {
        guard let saving = entry.optimizer as? any OptimizerStateSaving else {
            throw OptimizerStateError("the optimiser '\(entry.name)' (\(type(of: entry.optimizer))) cannot export its state; its state and configuration types must conform to OptimizerParameterState and OptimizerHyperParameters")
        }
        return saving
    }

    public func stateDictionary() -> OptimizerStateDictionary {
        var combined = OptimizerStateDictionary(optimizer: typeName, state: [:], parameterGroups: [])
        var offset = 0
        for entry in entries {
            // `Trainer` checks every optimiser can save before the first step, so this always succeeds.
            guard let saving = try? saving(entry) else { continue }
            let own = saving.stateDictionary()
            for (index, state) in own.state { combined.state[index + offset] = state }
            combined.parameterGroups += own.parameterGroups.map { .init(hyperParameters: $0.hyperParameters, parameters: $0.parameters.map { $0 + offset }) }
            offset += entry.optimizer.parameters.count
        }
        return combined
    }

    /// Splits `saved` back into each optimiser's part and loads them all; checks every part before
    /// loading any, so nothing changes when it throws.
    public func loadStateDictionary(_ saved: OptimizerStateDictionary) throws {
        guard saved.optimizer == typeName else {
            throw OptimizerStateError("the saved optimisers are \(saved.optimizer), but this task has \(typeName)")
        }
        var parts: [(any OptimizerStateSaving, OptimizerStateDictionary)] = []
        var groups = saved.parameterGroups[...]
        var offset = 0
        for entry in entries {
            let saving = try saving(entry)
            let own = saving.stateDictionary()
            let count = entry.optimizer.parameters.count
            let mine = groups.prefix(own.parameterGroups.count)
            groups = groups.dropFirst(own.parameterGroups.count)
            var part = OptimizerStateDictionary(optimizer: own.optimizer, state: [:], parameterGroups: mine.map {
                .init(hyperParameters: $0.hyperParameters, parameters: $0.parameters.map { $0 - offset })
            })
            for (index, state) in saved.state where index >= offset && index < offset + count { part.state[index - offset] = state }
            parts.append((saving, part))
            offset += count
        }
        if let stray = saved.state.keys.first(where: { $0 < 0 || $0 >= offset }) {
            throw OptimizerStateError("the saved optimiser state has state for parameter index \(stray), but the optimisers have \(offset) parameters")
        }
        guard groups.isEmpty else {
            throw OptimizerStateError("the saved optimiser state has \(saved.parameterGroups.count) parameter groups, more than the optimisers have")
        }
        // Each built-in optimiser checks its part before changing anything; if a later part fails, the
        // parts already loaded are put back, so the task is never left half restored.
        let originals = parts.map { $0.0.stateDictionary() }
        for (position, (saving, part)) in parts.enumerated() {
            do {
                try saving.loadStateDictionary(part)
            } catch {
                for earlier in 0..<position { _ = try? parts[earlier].0.loadStateDictionary(originals[earlier]) }
                throw error
            }
        }
    }
}
