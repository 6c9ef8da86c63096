import Nabla

/// An optimiser's state in PyTorch's `optimizer.state_dict()` layout, so a training run can be saved and
/// continued exactly:
///
/// ```text
/// state:            { 0: {"step": 3, "exp_avg": Tensor, "exp_avg_sq": Tensor}, 1: {...}, ... }
///                   keyed by parameter index: parameters are numbered 0, 1, ... across the groups in
///                   order; a parameter that has not been stepped yet has no entry
/// parameter groups: [ {"lr": 0.001, "betas": [0.9, 0.999], "eps": 1e-08, ..., params: [0, 1, 2]}, ... ]
/// ```
///
/// Tensors are the optimiser's own buffers at the time of the call (not copies): write them out before
/// the next step. Scalars (`step`, and SWATS' running estimates) are kept as `Double`s, which hold every
/// step count exactly.
///
/// ```swift
/// let saved = optimizer.stateDictionary()            // after some steps
/// let resumed = Adam(model.parameters(), configuration: .init(learningRate: 1e-3))
/// try resumed.loadStateDictionary(saved)             // continues exactly where `optimizer` stopped
/// ```
public struct OptimizerStateDictionary {
    /// One parameter's state: its buffers and its scalars, by PyTorch's names.
    public struct ParameterState {
        public var tensors: [String: Tensor]
        public var scalars: [String: Double]

        public init(tensors: [String: Tensor] = [:], scalars: [String: Double] = [:]) {
            self.tensors = tensors
            self.scalars = scalars
        }
    }

    /// One parameter group: its hyper-parameters by PyTorch's names and the indices of its parameters.
    public struct ParameterGroupState: Equatable {
        public var hyperParameters: [String: OptimizerHyperParameter]
        public var parameters: [Int]

        public init(hyperParameters: [String: OptimizerHyperParameter], parameters: [Int]) {
            self.hyperParameters = hyperParameters
            self.parameters = parameters
        }
    }

    /// The optimiser's type name (`Adam`, `SGD`, ...); loading into another type is refused.
    public var optimizer: String
    public var state: [Int: ParameterState]
    public var parameterGroups: [ParameterGroupState]

    public init(optimizer: String, state: [Int: ParameterState], parameterGroups: [ParameterGroupState]) {
        self.optimizer = optimizer
        self.state = state
        self.parameterGroups = parameterGroups
    }
}

/// A hyper-parameter value: a number (`lr`), a flag (`amsgrad`) or a list (`betas`).
public enum OptimizerHyperParameter: Equatable, Sendable, Codable, CustomStringConvertible {
    case number(Double)
    case flag(Bool)
    case numbers([Double])

    public init(from decoder: Decoder) throws {
        let container = try decoder.singleValueContainer()
        if let flag = try? container.decode(Bool.self) {
            self = .flag(flag)
        } else if let number = try? container.decode(Double.self) {
            self = .number(number)
        } else {
            self = .numbers(try container.decode([Double].self))
        }
    }

    public func encode(to encoder: Encoder) throws {
        var container = encoder.singleValueContainer()
        switch self {
        case .number(let value): try container.encode(value)
        case .flag(let value): try container.encode(value)
        case .numbers(let values): try container.encode(values)
        }
    }

    public var description: String {
        switch self {
        case .number(let value): "\(value)"
        case .flag(let value): "\(value)"
        case .numbers(let values): "\(values)"
        }
    }
}

/// A state dictionary that does not fit the optimiser it is loaded into, or holds impossible values.
public struct OptimizerStateError: Error, CustomStringConvertible, Equatable {
    public let description: String
    public init(_ description: String) { self.description = description }
}

/// Per-parameter optimiser state that can be exported and rebuilt (every built-in state class).
public protocol OptimizerParameterState: AnyObject {
    /// The state's buffers and scalars by PyTorch's names.
    func stateDictionary() -> OptimizerStateDictionary.ParameterState
    /// A state for `parameter` holding copies of `saved`'s values; throws `OptimizerStateError` when a
    /// buffer is missing or has the wrong shape.
    static func restoring(_ saved: OptimizerStateDictionary.ParameterState, for parameter: Tensor) throws -> Self
}

/// A configuration whose hyper-parameters can be exported and set by PyTorch's names.
public protocol OptimizerHyperParameters: OptimizerConfiguration {
    var hyperParameters: [String: OptimizerHyperParameter] { get }
    /// Sets the hyper-parameters named in `values` (others keep their value). Throws
    /// `OptimizerStateError` for an unknown name, a value of the wrong kind, or one out of range.
    mutating func setHyperParameters(_ values: [String: OptimizerHyperParameter]) throws
}

/// An optimiser whose whole state can be saved and restored (every built-in optimiser).
public protocol OptimizerStateSaving: Optimizer {
    func stateDictionary() -> OptimizerStateDictionary
    func loadStateDictionary(_ saved: OptimizerStateDictionary) throws
}

extension OptimizerBase: OptimizerStateSaving where State: OptimizerParameterState, Configuration: OptimizerHyperParameters {
    /// The state in PyTorch's layout; see `OptimizerStateDictionary`.
    public func stateDictionary() -> OptimizerStateDictionary {
        var state: [Int: OptimizerStateDictionary.ParameterState] = [:]
        var groups: [OptimizerStateDictionary.ParameterGroupState] = []
        var index = 0
        for group in parameterGroups {
            var indices: [Int] = []
            for parameter in group.parameters {
                if let entry = states[ObjectIdentifier(parameter)] { state[index] = entry.state.stateDictionary() }
                indices.append(index)
                index += 1
            }
            groups.append(.init(hyperParameters: group.configuration.hyperParameters, parameters: indices))
        }
        return OptimizerStateDictionary(optimizer: Self.typeName, state: state, parameterGroups: groups)
    }

    /// Replaces the per-parameter state and the groups' hyper-parameters with `saved`'s, as PyTorch's
    /// `load_state_dict`: saved parameters are matched to this optimiser's by position (group by group),
    /// so the groups must have the same sizes, and every buffer must have its parameter's shape. Nothing
    /// changes when it throws.
    public func loadStateDictionary(_ saved: OptimizerStateDictionary) throws {
        guard saved.optimizer == Self.typeName else {
            throw OptimizerStateError("the saved optimiser state is \(saved.optimizer)'s, but this optimiser is \(Self.typeName)")
        }
        guard saved.parameterGroups.count == parameterGroups.count else {
            throw OptimizerStateError("the saved optimiser state has \(saved.parameterGroups.count) parameter groups, but this \(Self.typeName) has \(parameterGroups.count)")
        }
        var byIndex: [Int: Tensor] = [:]
        var groups = parameterGroups
        for (groupIndex, (savedGroup, group)) in zip(saved.parameterGroups, parameterGroups).enumerated() {
            guard savedGroup.parameters.count == group.parameters.count else {
                throw OptimizerStateError("saved parameter group \(groupIndex) has \(savedGroup.parameters.count) parameters, but this \(Self.typeName)'s has \(group.parameters.count)")
            }
            for (index, parameter) in zip(savedGroup.parameters, group.parameters) {
                guard byIndex.updateValue(parameter, forKey: index) == nil else {
                    throw OptimizerStateError("the saved optimiser state lists parameter index \(index) twice")
                }
            }
            do {
                try groups[groupIndex].configuration.setHyperParameters(savedGroup.hyperParameters)
            } catch let error as OptimizerStateError {
                throw OptimizerStateError("saved parameter group \(groupIndex): \(error.description)")
            }
        }
        var restored: [ObjectIdentifier: (parameter: Tensor, state: State)] = [:]
        for (index, entry) in saved.state {
            guard let parameter = byIndex[index] else {
                throw OptimizerStateError("the saved optimiser state has state for parameter index \(index), which no parameter group lists")
            }
            do {
                restored[ObjectIdentifier(parameter)] = (parameter, try State.restoring(entry, for: parameter))
            } catch let error as OptimizerStateError {
                throw OptimizerStateError("parameter \(index) (shape \(parameter.shape)): \(error.description)")
            }
        }
        parameterGroups = groups
        states = restored
    }

    private static var typeName: String { String(describing: Self.self) }
}

// MARK: Scheduler positions

/// Where a `LearningRateScheduler` is (PyTorch's scheduler `state_dict`: `last_epoch` and `base_lrs`).
public struct LearningRateSchedulerState: Equatable, Sendable, Codable {
    public var stepCount: Int
    public var initialLearningRates: [Double]

    public init(stepCount: Int, initialLearningRates: [Double]) {
        self.stepCount = stepCount
        self.initialLearningRates = initialLearningRates
    }
}

extension LearningRateScheduler {
    public func stateDictionary() -> LearningRateSchedulerState {
        LearningRateSchedulerState(stepCount: stepCount, initialLearningRates: initialLearningRates)
    }

    /// Moves the schedule to the saved step and sets the optimiser's rates (and momenta) for it.
    public func loadStateDictionary(_ saved: LearningRateSchedulerState) throws {
        guard saved.stepCount >= 0 else { throw OptimizerStateError("the saved schedule position \(saved.stepCount) is negative") }
        guard saved.initialLearningRates.count == initialLearningRates.count,
              saved.initialLearningRates.allSatisfy({ $0.isFinite && $0 >= 0 }) else {
            throw OptimizerStateError("the saved schedule has initial rates \(saved.initialLearningRates) for \(saved.initialLearningRates.count) groups, but the optimiser has \(initialLearningRates.count) groups")
        }
        initialLearningRates = saved.initialLearningRates
        stepCount = saved.stepCount
        apply()
    }
}

/// Where a `ReduceLearningRateOnPlateau` is: the best metric, the bad-epoch and cool-down counters, the
/// epochs seen. (The rates themselves live in the optimiser's state.)
public struct PlateauState: Equatable, Sendable, Codable {
    public var best: Double
    public var badEpochs: Int
    public var cooldownRemaining: Int
    public var epoch: Int

    public init(best: Double, badEpochs: Int, cooldownRemaining: Int, epoch: Int) {
        self.best = best
        self.badEpochs = badEpochs
        self.cooldownRemaining = cooldownRemaining
        self.epoch = epoch
    }
}

extension ReduceLearningRateOnPlateau {
    public func stateDictionary() -> PlateauState {
        PlateauState(best: best, badEpochs: badEpochs, cooldownRemaining: cooldownRemaining, epoch: epoch)
    }

    public func loadStateDictionary(_ saved: PlateauState) throws {
        guard saved.badEpochs >= 0, saved.cooldownRemaining >= 0, saved.epoch >= 0, !saved.best.isNaN else {
            throw OptimizerStateError("the saved plateau state \(saved) holds negative counters or a NaN best value")
        }
        best = saved.best
        badEpochs = saved.badEpochs
        cooldownRemaining = saved.cooldownRemaining
        epoch = saved.epoch
    }
}
