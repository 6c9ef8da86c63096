/// One line of progress after each update of REINFORCE or A2C.
public struct PolicyGradientRecord: Sendable, Codable {
    public var update: Int
    public var steps: Int
    /// Mean return of the latest (up to) 100 finished training episodes; nil before the first ends.
    public var meanReturn: Double?
    public var episodes: Int
    public var policyLoss: Double
    public var valueLoss: Double
    public var entropy: Double
    public var stepsPerSecond: Double
}

/// A setting of an algorithm outside its range.
public struct AlgorithmConfigurationError: Error, CustomStringConvertible {
    public let algorithm: String, message: String
    public var description: String { "\(algorithm): \(message)" }

    /// Throws `message` for `algorithm` unless `condition` holds.
    static func check(_ condition: Bool, _ algorithm: String, _ message: @autoclosure () -> String) throws {
        if !condition { throw AlgorithmConfigurationError(algorithm: algorithm, message: message()) }
    }
}
