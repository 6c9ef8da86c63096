import Nabla

// How each built-in optimiser names its state and hyper-parameters in a state dictionary: PyTorch's
// names where PyTorch has the optimiser (`exp_avg`, `momentum_buffer`, `lr`, `betas`, ...).

// MARK: Per-parameter state

extension AdamState: OptimizerParameterState {
    public func stateDictionary() -> OptimizerStateDictionary.ParameterState {
        var tensors = ["exp_avg": firstMoment, "exp_avg_sq": secondMoment]
        tensors["max_exp_avg_sq"] = maximumSecondMoment
        return .init(tensors: tensors, scalars: ["step": Double(step)])
    }

    public static func restoring(_ saved: OptimizerStateDictionary.ParameterState, for parameter: Tensor) throws -> AdamState {
        var reader = SavedState(saved, parameter: parameter)
        let state = AdamState(like: parameter)
        state.step = try reader.step()
        try reader.copy("exp_avg", into: state.firstMoment)
        try reader.copy("exp_avg_sq", into: state.secondMoment)
        state.maximumSecondMoment = try reader.optionalCopy("max_exp_avg_sq")
        try reader.finish()
        return state
    }
}

extension SGDState: OptimizerParameterState {
    public func stateDictionary() -> OptimizerStateDictionary.ParameterState {
        var tensors: [String: Tensor] = [:]
        tensors["momentum_buffer"] = momentumBuffer
        return .init(tensors: tensors, scalars: ["step": Double(step)])
    }

    public static func restoring(_ saved: OptimizerStateDictionary.ParameterState, for parameter: Tensor) throws -> SGDState {
        var reader = SavedState(saved, parameter: parameter)
        let state = SGDState(shape: parameter.shape)
        state.step = try reader.step()
        state.momentumBuffer = try reader.optionalCopy("momentum_buffer")
        try reader.finish()
        return state
    }
}

extension AdagradState: OptimizerParameterState {
    public func stateDictionary() -> OptimizerStateDictionary.ParameterState {
        .init(tensors: ["sum": sum], scalars: ["step": Double(step)])
    }

    public static func restoring(_ saved: OptimizerStateDictionary.ParameterState, for parameter: Tensor) throws -> AdagradState {
        var reader = SavedState(saved, parameter: parameter)
        let state = AdagradState(sum: stateBuffer(like: parameter))
        state.step = try reader.step()
        try reader.copy("sum", into: state.sum)
        try reader.finish()
        return state
    }
}

extension RMSPropState: OptimizerParameterState {
    public func stateDictionary() -> OptimizerStateDictionary.ParameterState {
        var tensors = ["square_avg": squareAverage]
        tensors["grad_avg"] = gradientAverage
        tensors["momentum_buffer"] = momentumBuffer
        return .init(tensors: tensors, scalars: ["step": Double(step)])
    }

    public static func restoring(_ saved: OptimizerStateDictionary.ParameterState, for parameter: Tensor) throws -> RMSPropState {
        var reader = SavedState(saved, parameter: parameter)
        let state = RMSPropState(like: parameter)
        state.step = try reader.step()
        try reader.copy("square_avg", into: state.squareAverage)
        state.gradientAverage = try reader.optionalCopy("grad_avg")
        state.momentumBuffer = try reader.optionalCopy("momentum_buffer")
        try reader.finish()
        return state
    }
}

extension SWATSState: OptimizerParameterState {
    public func stateDictionary() -> OptimizerStateDictionary.ParameterState {
        var tensors: [String: Tensor] = [:]
        tensors["exp_avg"] = firstMoment
        tensors["exp_avg_sq"] = secondMoment
        tensors["momentum_buffer"] = momentumBuffer
        var scalars = ["step": Double(step), "projection_average": projectionAverage, "learning_rate_at_switch": learningRateAtSwitch]
        scalars["last_estimate"] = lastEstimate
        scalars["corrected_estimate"] = correctedEstimate
        scalars["sgd_learning_rate"] = sgdLearningRate
        scalars["switched_at_step"] = switchedAtStep.map(Double.init)
        return .init(tensors: tensors, scalars: scalars)
    }

    public static func restoring(_ saved: OptimizerStateDictionary.ParameterState, for parameter: Tensor) throws -> SWATSState {
        var reader = SavedState(saved, parameter: parameter)
        let state = SWATSState(like: parameter)
        state.step = try reader.step()
        state.firstMoment = try reader.optionalCopy("exp_avg")
        state.secondMoment = try reader.optionalCopy("exp_avg_sq")
        state.momentumBuffer = try reader.optionalCopy("momentum_buffer")
        state.projectionAverage = try reader.scalar("projection_average") ?? 0
        state.learningRateAtSwitch = try reader.scalar("learning_rate_at_switch") ?? 0
        state.lastEstimate = try reader.scalar("last_estimate")
        state.correctedEstimate = try reader.scalar("corrected_estimate")
        state.sgdLearningRate = try reader.scalar("sgd_learning_rate")
        state.switchedAtStep = try reader.scalar("switched_at_step").map { try SavedState.count($0, "switched_at_step") }
        try reader.finish()
        // Adam's moments exist until the switch to SGD, the momentum buffer after it.
        guard state.isUsingSGD ? state.momentumBuffer != nil : (state.firstMoment != nil && state.secondMoment != nil) else {
            throw OptimizerStateError(state.isUsingSGD ? "the SWATS state has switched to SGD but has no 'momentum_buffer'"
                                                       : "the SWATS state has not switched to SGD but lacks 'exp_avg' or 'exp_avg_sq'")
        }
        return state
    }
}

/// Reads one parameter's saved state, copying buffers after checking their shapes, and notices names
/// that nothing read (a state from another optimiser or version).
private struct SavedState {
    let saved: OptimizerStateDictionary.ParameterState
    let parameter: Tensor
    var used = Set<String>()

    init(_ saved: OptimizerStateDictionary.ParameterState, parameter: Tensor) {
        self.saved = saved
        self.parameter = parameter
    }

    mutating func step() throws -> Int {
        guard let value = try scalar("step") else { throw OptimizerStateError("the saved state has no 'step'") }
        return try Self.count(value, "step")
    }

    static func count(_ value: Double, _ name: String) throws -> Int {
        guard value >= 0, value < 9e15, value == value.rounded() else {
            throw OptimizerStateError("the saved '\(name)' is \(value), not a count")
        }
        return Int(value)
    }

    mutating func scalar(_ name: String) throws -> Double? {
        guard let value = saved.scalars[name] else { return nil }
        used.insert(name)
        guard value.isFinite else { throw OptimizerStateError("the saved '\(name)' is \(value)") }
        return value
    }

    mutating func copy(_ name: String, into target: Tensor) throws {
        guard let source = try optionalSource(name) else { throw OptimizerStateError("the saved state has no '\(name)'") }
        withoutGradients { target.assign(source) }
    }

    /// A fresh contiguous copy of the named buffer, or nil when it is not saved.
    mutating func optionalCopy(_ name: String) throws -> Tensor? {
        guard let source = try optionalSource(name) else { return nil }
        let copy = stateBuffer(like: parameter)
        withoutGradients { copy.assign(source) }
        return copy
    }

    private mutating func optionalSource(_ name: String) throws -> Tensor? {
        guard let source = saved.tensors[name] else { return nil }
        used.insert(name)
        guard source.shape == parameter.shape else {
            throw OptimizerStateError("the saved '\(name)' has shape \(source.shape) but its parameter has shape \(parameter.shape)")
        }
        return source
    }

    func finish() throws {
        let unknown = (Set(saved.tensors.keys).union(saved.scalars.keys)).subtracting(used).sorted()
        guard unknown.isEmpty else { throw OptimizerStateError("the saved state has entries this optimiser does not know: \(unknown)") }
    }
}

// MARK: Hyper-parameters

extension AdamFamilyConfiguration {
    /// `lr`, `betas`, `eps` and `weight_decay`, which every Adam-family optimiser has.
    fileprivate var sharedHyperParameters: [String: OptimizerHyperParameter] {
        ["lr": .number(learningRate), "betas": .numbers([beta1, beta2]), "eps": .number(epsilon),
         "weight_decay": .number(weightDecay)]
    }

    fileprivate mutating func readSharedHyperParameters(_ reader: inout HyperParameterReader) throws {
        try reader.rate(&learningRate)
        var (first, second) = (beta1, beta2)   // two inout accesses to one `self` would overlap
        try reader.betas(&first, &second)
        (beta1, beta2) = (first, second)
        try reader.nonNegative("eps", &epsilon)
        try reader.nonNegative("weight_decay", &weightDecay)
    }
}

extension AdamConfiguration {
    public var hyperParameters: [String: OptimizerHyperParameter] {
        sharedHyperParameters.merging(["amsgrad": .flag(amsgrad)]) { _, added in added }
    }

    public mutating func setHyperParameters(_ values: [String: OptimizerHyperParameter]) throws {
        var reader = HyperParameterReader(values)
        try readSharedHyperParameters(&reader)
        try reader.flag("amsgrad", &amsgrad)
        try reader.finish()
    }
}

extension AdamWConfiguration {
    public var hyperParameters: [String: OptimizerHyperParameter] {
        sharedHyperParameters.merging(["amsgrad": .flag(amsgrad)]) { _, added in added }
    }

    public mutating func setHyperParameters(_ values: [String: OptimizerHyperParameter]) throws {
        var reader = HyperParameterReader(values)
        try readSharedHyperParameters(&reader)
        try reader.flag("amsgrad", &amsgrad)
        try reader.finish()
    }
}

extension RAdamConfiguration {
    public var hyperParameters: [String: OptimizerHyperParameter] {
        sharedHyperParameters.merging(["decoupled_weight_decay": .flag(decoupledWeightDecay)]) { _, added in added }
    }

    public mutating func setHyperParameters(_ values: [String: OptimizerHyperParameter]) throws {
        var reader = HyperParameterReader(values)
        try readSharedHyperParameters(&reader)
        try reader.flag("decoupled_weight_decay", &decoupledWeightDecay)
        try reader.finish()
    }
}

extension SWATSConfiguration {
    public var hyperParameters: [String: OptimizerHyperParameter] {
        sharedHyperParameters.merging(["switch_tolerance": .number(switchTolerance),
                                       "minimum_adam_steps": .number(Double(minimumAdamSteps))]) { _, added in added }
    }

    public mutating func setHyperParameters(_ values: [String: OptimizerHyperParameter]) throws {
        var reader = HyperParameterReader(values)
        try readSharedHyperParameters(&reader)
        try reader.nonNegative("switch_tolerance", &switchTolerance)
        var steps = Double(minimumAdamSteps)
        try reader.nonNegative("minimum_adam_steps", &steps)
        guard steps >= 1, steps < 9e15, steps == steps.rounded() else {
            throw OptimizerStateError("'minimum_adam_steps' is \(steps), not a positive whole number")
        }
        minimumAdamSteps = Int(steps)
        try reader.finish()
    }
}

extension SGDConfiguration: OptimizerHyperParameters {
    public var hyperParameters: [String: OptimizerHyperParameter] {
        ["lr": .number(learningRate), "momentum": .number(momentum), "dampening": .number(dampening),
         "weight_decay": .number(weightDecay), "nesterov": .flag(nesterov)]
    }

    public mutating func setHyperParameters(_ values: [String: OptimizerHyperParameter]) throws {
        var reader = HyperParameterReader(values)
        try reader.rate(&learningRate)
        try reader.nonNegative("momentum", &momentum)
        try reader.finite("dampening", &dampening)
        try reader.nonNegative("weight_decay", &weightDecay)
        try reader.flag("nesterov", &nesterov)
        guard !nesterov || (momentum > 0 && dampening == 0) else {
            throw OptimizerStateError("Nesterov momentum needs momentum > 0 and dampening 0, got momentum \(momentum), dampening \(dampening)")
        }
        try reader.finish()
    }
}

extension AdagradConfiguration: OptimizerHyperParameters {
    public var hyperParameters: [String: OptimizerHyperParameter] {
        ["lr": .number(learningRate), "lr_decay": .number(learningRateDecay), "weight_decay": .number(weightDecay),
         "initial_accumulator_value": .number(initialAccumulatorValue), "eps": .number(epsilon)]
    }

    public mutating func setHyperParameters(_ values: [String: OptimizerHyperParameter]) throws {
        var reader = HyperParameterReader(values)
        try reader.rate(&learningRate)
        try reader.nonNegative("lr_decay", &learningRateDecay)
        try reader.nonNegative("weight_decay", &weightDecay)
        try reader.nonNegative("initial_accumulator_value", &initialAccumulatorValue)
        try reader.nonNegative("eps", &epsilon)
        try reader.finish()
    }
}

extension RMSPropConfiguration: OptimizerHyperParameters {
    public var hyperParameters: [String: OptimizerHyperParameter] {
        ["lr": .number(learningRate), "alpha": .number(alpha), "eps": .number(epsilon),
         "weight_decay": .number(weightDecay), "momentum": .number(momentum), "centered": .flag(centered)]
    }

    public mutating func setHyperParameters(_ values: [String: OptimizerHyperParameter]) throws {
        var reader = HyperParameterReader(values)
        try reader.rate(&learningRate)
        try reader.nonNegative("alpha", &alpha)
        try reader.nonNegative("eps", &epsilon)
        try reader.nonNegative("weight_decay", &weightDecay)
        try reader.nonNegative("momentum", &momentum)
        try reader.flag("centered", &centered)
        try reader.finish()
    }
}

/// Reads saved hyper-parameters into a configuration, checking each against the ranges the
/// configuration's `validate()` would otherwise stop the program for: a bad file throws instead.
private struct HyperParameterReader {
    let values: [String: OptimizerHyperParameter]
    var used = Set<String>()

    init(_ values: [String: OptimizerHyperParameter]) { self.values = values }

    private mutating func number(_ name: String) throws -> Double? {
        guard let value = values[name] else { return nil }
        used.insert(name)
        guard case .number(let number) = value, number.isFinite else {
            throw OptimizerStateError("'\(name)' is \(value), not a finite number")
        }
        return number
    }

    mutating func rate(_ target: inout Double) throws { try nonNegative("lr", &target) }

    mutating func finite(_ name: String, _ target: inout Double) throws {
        if let value = try number(name) { target = value }
    }

    mutating func nonNegative(_ name: String, _ target: inout Double) throws {
        guard let value = try number(name) else { return }
        guard value >= 0 else { throw OptimizerStateError("'\(name)' is \(value) but must not be negative") }
        target = value
    }

    mutating func flag(_ name: String, _ target: inout Bool) throws {
        guard let value = values[name] else { return }
        used.insert(name)
        guard case .flag(let flag) = value else { throw OptimizerStateError("'\(name)' is \(value), not true or false") }
        target = flag
    }

    mutating func betas(_ beta1: inout Double, _ beta2: inout Double) throws {
        guard let value = values["betas"] else { return }
        used.insert("betas")
        guard case .numbers(let pair) = value, pair.count == 2, pair.allSatisfy({ (0..<1).contains($0) }) else {
            throw OptimizerStateError("'betas' is \(value), not two numbers in [0, 1)")
        }
        (beta1, beta2) = (pair[0], pair[1])
    }

    func finish() throws {
        let unknown = Set(values.keys).subtracting(used).sorted()
        guard unknown.isEmpty else { throw OptimizerStateError("unknown hyper-parameters \(unknown)") }
    }
}
