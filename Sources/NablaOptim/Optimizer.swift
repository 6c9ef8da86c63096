import Nabla

/// What every optimiser offers to a training loop and to learning-rate schedules, whatever its update rule.
///
/// ```swift
/// let optimizer = Adam(model.parameters(), configuration: .init(learningRate: 1e-3))
/// for batch in loader {
///     optimizer.zeroGradients()
///     loss(model(batch.input), batch.target).backward()
///     optimizer.step()
/// }
/// ```
public protocol Optimizer: AnyObject {
    /// Updates, in place, every parameter whose `grad` is set; parameters without a gradient are skipped.
    func step()
    /// Sets every parameter's `grad` to nil (PyTorch's default `set_to_none=True`).
    func zeroGradients()
    /// Every parameter of every group, in group order.
    var parameters: [Tensor] { get }
    /// The learning rate of each parameter group, in group order. Schedules read and set these.
    var learningRates: [Double] { get set }
    /// Each group's momentum-like coefficient (SGD and RMSProp momentum, β₁ of the Adam family), nil for
    /// groups of an optimiser that has none. `OneCycleSchedule` cycles these.
    var scheduledMomenta: [Double?] { get set }
}

/// The hyper-parameters of one optimiser, with PyTorch's defaults; every parameter group holds its own copy.
public protocol OptimizerConfiguration {
    /// The configuration with PyTorch's defaults.
    init()
    var learningRate: Double { get set }
    /// The coefficient a one-cycle schedule may cycle: momentum or β₁; nil (and ignored when set) where
    /// the rule has none.
    var scheduledMomentum: Double? { get set }
    /// Stops with a message naming the optimiser and the value when a hyper-parameter is out of range
    /// (PyTorch raises `ValueError` for the same cases).
    func validate()
}

extension OptimizerConfiguration {
    public var scheduledMomentum: Double? {
        get { nil }
        set {}
    }
}

/// Parameters that share one set of hyper-parameters (PyTorch's `param_groups` entry).
///
/// ```swift
/// let optimizer = SGD(groups: [
///     ParameterGroup(backbone.parameters(), configuration: .init(learningRate: 1e-3, momentum: 0.9)),
///     ParameterGroup(head.parameters(), configuration: .init(learningRate: 1e-2, momentum: 0.9)),
/// ])
/// optimizer.parameterGroups[1].configuration.learningRate = 5e-3
/// ```
public struct ParameterGroup<Configuration: OptimizerConfiguration> {
    public let parameters: [Tensor]
    public var configuration: Configuration

    public init(_ parameters: [Tensor], configuration: Configuration = Configuration()) {
        self.parameters = parameters
        self.configuration = configuration
    }
}

/// The shared machinery of the optimisers: parameter groups, per-parameter state, `step()` and
/// `zeroGradients()`. A concrete optimiser supplies only its state (`makeState`) and its update rule for
/// one parameter (`update`), which runs over contiguous `Float` buffers.
///
/// State is created on the first step a parameter has a gradient (as PyTorch does) and is keyed by the
/// parameter's identity, so editing a group's configuration keeps it. The optimiser keeps a strong
/// reference to every parameter it has state for.
///
/// The built-in rules run eight lanes at a time over contiguous buffers, one fused pass per parameter,
/// split across cores for large parameters. A step allocates no tensors, except state buffers on a
/// parameter's first step and a contiguous copy of a gradient that is a broadcast view. The rules add the
/// weight-decay term λ·θ even when λ = 0 (the same values unless θ is infinite or NaN; PyTorch skips it).
///
/// To write a new optimiser, subclass with a configuration and a state class:
///
/// ```swift
/// final class SignDescent: OptimizerBase<SignDescentConfiguration, SignDescentState> {
///     override func makeState(for parameter: Tensor, configuration: SignDescentConfiguration) -> SignDescentState { .init() }
///     override func update(parameter: UnsafeMutableBufferPointer<Float>, gradient: UnsafeBufferPointer<Float>,
///                          state: SignDescentState, configuration: SignDescentConfiguration) {
///         let rate = Float(configuration.learningRate)
///         for index in parameter.indices { parameter[index] -= rate * (gradient[index] > 0 ? 1 : gradient[index] < 0 ? -1 : 0) }
///     }
/// }
/// ```
open class OptimizerBase<Configuration: OptimizerConfiguration, State: AnyObject>: Optimizer {
    /// The groups in order. Configurations may be edited freely; a parameter may belong to one group only.
    public var parameterGroups: [ParameterGroup<Configuration>] {
        didSet { Self.validate(parameterGroups) }
    }

    /// Per-parameter state by parameter identity (internal so `loadStateDictionary` can rebuild it).
    var states: [ObjectIdentifier: (parameter: Tensor, state: State)] = [:]

    /// An optimiser over the given groups, each with its own hyper-parameters.
    public init(groups: [ParameterGroup<Configuration>]) {
        Self.validate(groups)
        parameterGroups = groups
    }

    /// An optimiser over one group of `parameters`.
    public convenience init(_ parameters: [Tensor], configuration: Configuration = Configuration()) {
        self.init(groups: [ParameterGroup(parameters, configuration: configuration)])
    }

    /// Appends a group (PyTorch's `add_param_group`), e.g. when unfreezing layers during fine-tuning.
    public func addParameterGroup(_ group: ParameterGroup<Configuration>) {
        parameterGroups.append(group)
    }

    // MARK: What a concrete optimiser supplies

    /// The state of a parameter before its first update (zeroed buffers, step 0).
    open func makeState(for parameter: Tensor, configuration: Configuration) -> State {
        fatalError("\(Self.self) must override makeState(for:configuration:)")
    }

    /// Updates one parameter in place from its gradient. Both buffers are contiguous, of equal length,
    /// and valid only during the call.
    open func update(parameter: UnsafeMutableBufferPointer<Float>, gradient: UnsafeBufferPointer<Float>,
                     state: State, configuration: Configuration) {
        fatalError("\(Self.self) must override update(parameter:gradient:state:configuration:)")
    }

    // MARK: Optimizer

    public func step() {
        withoutGradients {
            for group in parameterGroups {
                for parameter in group.parameters {
                    guard let gradient = parameter.grad else { continue }
                    precondition(gradient.shape == parameter.shape,
                                 "\(Self.self).step: gradient of shape \(gradient.shape) does not match its parameter of shape \(parameter.shape)")
                    let state = stateForUpdate(of: parameter, configuration: group.configuration)
                    parameter.withUnsafeMutableBufferPointer { values in
                        gradient.withUnsafeBufferPointer { gradientValues in
                            update(parameter: values, gradient: gradientValues, state: state, configuration: group.configuration)
                        }
                    }
                }
            }
        }
    }

    public func zeroGradients() {
        for group in parameterGroups {
            for parameter in group.parameters { parameter.grad = nil }
        }
    }

    public var parameters: [Tensor] { parameterGroups.flatMap(\.parameters) }

    public var learningRates: [Double] {
        get { parameterGroups.map(\.configuration.learningRate) }
        set {
            precondition(newValue.count == parameterGroups.count,
                         "\(Self.self).learningRates: \(newValue.count) values for \(parameterGroups.count) parameter groups")
            var groups = parameterGroups
            for index in groups.indices { groups[index].configuration.learningRate = newValue[index] }
            parameterGroups = groups
        }
    }

    public var scheduledMomenta: [Double?] {
        get { parameterGroups.map(\.configuration.scheduledMomentum) }
        set {
            precondition(newValue.count == parameterGroups.count,
                         "\(Self.self).scheduledMomenta: \(newValue.count) values for \(parameterGroups.count) parameter groups")
            var groups = parameterGroups
            for index in groups.indices where newValue[index] != nil {
                groups[index].configuration.scheduledMomentum = newValue[index]
            }
            parameterGroups = groups
        }
    }

    // MARK: State

    /// The state of `parameter`, or nil before its first update.
    public func state(for parameter: Tensor) -> State? { states[ObjectIdentifier(parameter)]?.state }

    /// Forgets all per-parameter state: the next step starts every parameter afresh.
    public func resetState() { states = [:] }

    private func stateForUpdate(of parameter: Tensor, configuration: Configuration) -> State {
        let key = ObjectIdentifier(parameter)
        if let existing = states[key] { return existing.state }
        let created = makeState(for: parameter, configuration: configuration)
        states[key] = (parameter, created)
        return created
    }

    private static func validate(_ groups: [ParameterGroup<Configuration>]) {
        var seen = Set<ObjectIdentifier>()
        for (index, group) in groups.enumerated() {
            group.configuration.validate()
            for parameter in group.parameters {
                precondition(seen.insert(ObjectIdentifier(parameter)).inserted,
                             "\(Self.self): a parameter of shape \(parameter.shape) appears twice (again in group \(index)); each parameter may belong to one group only")
            }
        }
    }
}

/// A zero-filled tensor used as optimiser state; its storage starts at offset 0, so `pointer` is its first element.
func stateBuffer(like parameter: Tensor, value: Float = 0) -> Tensor { Tensor.full(parameter.shape, value: value) }

extension Tensor {
    /// The first element of a tensor created by `stateBuffer` (contiguous, offset 0).
    var statePointer: UnsafeMutablePointer<Float> { storage.pointer }
}
