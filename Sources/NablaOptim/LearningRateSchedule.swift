import Nabla

/// A learning rate as a function of the step: "the rate for step k" for a group whose rate was `initial`
/// when the schedule was attached. Step 0 is before the first optimiser step, as PyTorch's
/// `last_epoch = 0` after constructing a scheduler.
///
/// Every schedule here is a closed form, so any step can be read without stepping through the ones
/// before it. PyTorch computes most of them recursively ("chainable" form, multiplying the current
/// rate); the values are the same as long as nothing else changes the rate in between, so two schedules
/// are not stacked on one optimiser here — compose them with `SequentialSchedule` instead.
public protocol LearningRateSchedule {
    /// The learning rate at `step` (≥ 0) for a group whose rate was `initial` when the schedule started.
    func learningRate(atStep step: Int, initial: Double) -> Double
    /// The momentum (or β₁) at `step`, for schedules that cycle it; nil leaves the optimiser's alone.
    func momentum(atStep step: Int) -> Double?
}

extension LearningRateSchedule {
    public func momentum(atStep step: Int) -> Double? { nil }

    /// The first `count` rates for a group starting at `initial`, e.g. to plot a schedule.
    public func learningRates(steps count: Int, initial: Double) -> [Double] {
        (0..<count).map { learningRate(atStep: $0, initial: initial) }
    }
}

/// Drives an optimiser's learning rates (and momenta, for schedules that cycle them) by a schedule:
/// call `step()` once per optimiser step (or per epoch, if the schedule counts epochs).
///
/// ```swift
/// let optimizer = SGD(model.parameters(), configuration: .init(learningRate: 0.1, momentum: 0.9))
/// let scheduler = LearningRateScheduler(optimizer, schedule: CosineAnnealingSchedule(period: 100))
/// for _ in 0..<100 {
///     trainOneEpoch(model, optimizer)
///     scheduler.step()
/// }
/// ```
public final class LearningRateScheduler {
    public let optimizer: any Optimizer
    public let schedule: any LearningRateSchedule
    /// Each group's rate when the scheduler was made (PyTorch's `initial_lr`).
    public internal(set) var initialLearningRates: [Double]
    /// Steps taken so far (PyTorch's `last_epoch`).
    public internal(set) var stepCount = 0

    /// Attaches `schedule` to `optimizer` and sets the rates for step 0 at once (as PyTorch's constructor).
    public init(_ optimizer: any Optimizer, schedule: any LearningRateSchedule) {
        self.optimizer = optimizer
        self.schedule = schedule
        initialLearningRates = optimizer.learningRates
        apply()
    }

    /// Advances one step and sets the optimiser's rates to the schedule's.
    public func step() {
        stepCount += 1
        apply()
    }

    /// The rates now in force (PyTorch's `get_last_lr()`).
    public var learningRates: [Double] { optimizer.learningRates }

    /// The rates the schedule gives for `step`, without changing anything.
    public func learningRates(atStep step: Int) -> [Double] {
        initialLearningRates.map { schedule.learningRate(atStep: step, initial: $0) }
    }

    func apply() {
        optimizer.learningRates = learningRates(atStep: stepCount)
        if let momentum = schedule.momentum(atStep: stepCount) {
            precondition(!optimizer.scheduledMomenta.contains(where: { $0 == nil }),
                         "\(type(of: schedule)): cycling momentum needs an optimiser with momentum or beta1 (SGD, RMSProp, the Adam family); \(type(of: optimizer)) has none — turn momentum cycling off")
            optimizer.scheduledMomenta = Array(repeating: momentum, count: optimizer.learningRates.count)
        }
    }
}

/// The rate times `factor(step)` (PyTorch's `LambdaLR`).
///
/// ```swift
/// let warmup = LambdaSchedule { step in min(1, Double(step + 1) / 1000) }
/// ```
public struct LambdaSchedule: LearningRateSchedule {
    public let factor: (Int) -> Double

    public init(_ factor: @escaping (Int) -> Double) { self.factor = factor }

    public func learningRate(atStep step: Int, initial: Double) -> Double { initial * factor(step) }
}

/// Runs `schedules[0]` until `milestones[0]`, then `schedules[1]` counting from 0 again, and so on
/// (PyTorch's `SequentialLR`): e.g. a linear warm-up followed by cosine annealing. Momentum comes from
/// the schedule in force.
///
/// ```swift
/// let schedule = SequentialSchedule([LinearSchedule(startFactor: 0.01, totalSteps: 500),
///                                    CosineAnnealingSchedule(period: 9_500)], milestones: [500])
/// ```
public struct SequentialSchedule: LearningRateSchedule {
    public let schedules: [any LearningRateSchedule]
    public let milestones: [Int]

    public init(_ schedules: [any LearningRateSchedule], milestones: [Int]) {
        precondition(!schedules.isEmpty && milestones.count == schedules.count - 1,
                     "SequentialSchedule: \(schedules.count) schedules need \(max(0, schedules.count - 1)) milestones, got \(milestones.count)")
        precondition(zip(milestones, milestones.dropFirst()).allSatisfy { $0 < $1 } && (milestones.first ?? 1) > 0,
                     "SequentialSchedule: milestones must be positive and increasing, got \(milestones)")
        self.schedules = schedules
        self.milestones = milestones
    }

    public func learningRate(atStep step: Int, initial: Double) -> Double {
        let (schedule, local) = active(step)
        return schedule.learningRate(atStep: local, initial: initial)
    }

    public func momentum(atStep step: Int) -> Double? {
        let (schedule, local) = active(step)
        return schedule.momentum(atStep: local)
    }

    private func active(_ step: Int) -> (any LearningRateSchedule, Int) {
        let index = milestones.lastIndex(where: { $0 <= step }).map { $0 + 1 } ?? 0
        return (schedules[index], index == 0 ? step : step - milestones[index - 1])
    }
}
