/// A value moving linearly from `start` to `end` over the first `fraction` of training, then held
/// (Stable-Baselines3's `get_linear_fn`, used for DQN's exploration rate ε).
public struct LinearSchedule: Sendable, Equatable {
    public let start: Double, end: Double, fraction: Double

    public init(start: Double, end: Double, fraction: Double) {
        precondition(fraction > 0 && fraction <= 1, "LinearSchedule: fraction must lie in (0, 1], got \(fraction)")
        self.start = start
        self.end = end
        self.fraction = fraction
    }

    /// The value at `progress` = steps done / total steps, in [0, 1].
    public func value(progress: Double) -> Double {
        progress > fraction ? end : start + progress * (end - start) / fraction
    }
}
