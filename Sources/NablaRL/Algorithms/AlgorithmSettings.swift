import Nabla

/// One hyper-parameter settable as `key=value` (`nabla rl train --set learning_rate=3e-4`): its key,
/// what it accepts, and how it reads into and out of a configuration.
public struct HyperParameter<Configuration> {
    public let key: String
    /// What the value must be, as error messages say it ("an integer").
    public let kind: String
    let apply: (inout Configuration, String) -> Bool
    let read: (Configuration) -> String

    public static func integer(_ key: String, _ path: WritableKeyPath<Configuration, Int>) -> Self {
        Self(key: key, kind: "an integer", apply: { configuration, text in
            guard let value = Int(text) else { return false }
            configuration[keyPath: path] = value
            return true
        }, read: { "\($0[keyPath: path])" })
    }

    public static func real(_ key: String, _ path: WritableKeyPath<Configuration, Double>) -> Self {
        Self(key: key, kind: "a number", apply: { configuration, text in
            guard let value = Double(text), value.isFinite else { return false }
            configuration[keyPath: path] = value
            return true
        }, read: { "\($0[keyPath: path])" })
    }

    public static func flag(_ key: String, _ path: WritableKeyPath<Configuration, Bool>) -> Self {
        Self(key: key, kind: "true or false", apply: { configuration, text in
            switch text.lowercased() {
            case "true", "yes", "1", "on": configuration[keyPath: path] = true
            case "false", "no", "0", "off": configuration[keyPath: path] = false
            default: return false
            }
            return true
        }, read: { "\($0[keyPath: path])" })
    }

    /// Layer widths written as comma-separated integers ("256,256").
    public static func sizes(_ key: String, _ path: WritableKeyPath<Configuration, [Int]>) -> Self {
        Self(key: key, kind: "comma-separated positive integers such as 64,64", apply: { configuration, text in
            let values = text.split(separator: ",").map { Int($0.trimmingCharacters(in: .whitespaces)) }
            guard !values.isEmpty, values.allSatisfy({ $0 != nil && $0! > 0 }) else { return false }
            configuration[keyPath: path] = values.map { $0! }
            return true
        }, read: { $0[keyPath: path].map(String.init).joined(separator: ",") })
    }

    /// A value read and written through closures (for settings that are parts of a larger value).
    public static func custom(_ key: String, kind: String, apply: @escaping (inout Configuration, String) -> Bool,
                              read: @escaping (Configuration) -> String) -> Self {
        Self(key: key, kind: kind, apply: apply, read: read)
    }
}

/// A `--set` that cannot be applied: an unknown key, or a value of the wrong type.
public struct HyperParameterError: Error, CustomStringConvertible {
    public let description: String
}

/// Applies `key=value` texts to `configuration` through `parameters`; throws `HyperParameterError` naming
/// the key, the value and what was expected.
public func applySettings<Configuration>(_ settings: [String], to configuration: inout Configuration,
                                         parameters: [HyperParameter<Configuration>], algorithm: String) throws {
    for setting in settings {
        guard let equals = setting.firstIndex(of: "=") else {
            throw HyperParameterError(description: "--set '\(setting)' is not key=value (e.g. --set learning_rate=3e-4)")
        }
        let key = setting[..<equals].trimmingCharacters(in: .whitespaces)
        let value = setting[setting.index(after: equals)...].trimmingCharacters(in: .whitespaces)
        guard let parameter = parameters.first(where: { $0.key == key }) else {
            throw HyperParameterError(description: "\(algorithm) has no hyper-parameter '\(key)'; it has: \(parameters.map(\.key).joined(separator: ", "))")
        }
        guard parameter.apply(&configuration, value) else {
            throw HyperParameterError(description: "\(algorithm) hyper-parameter '\(key)' = '\(value)' is not valid: it must be \(parameter.kind)")
        }
    }
}

/// The algorithms `nabla rl train` knows, each made from an environment, `--set` overrides and a seed.
public enum Algorithms {
    public static let names = ["reinforce", "a2c", "ppo", "dqn"]

    /// A fresh agent. Throws `UnknownAlgorithm`, `HyperParameterError`, `UnsupportedActionSpace` or a
    /// configuration error for settings out of range.
    public static func make(_ name: String, environment: EnvironmentSpecification, settings: [String] = [], seed: UInt64) throws -> any Agent {
        switch name.lowercased() {
        case "reinforce":
            var configuration = REINFORCEConfiguration()
            try applySettings(settings, to: &configuration, parameters: REINFORCEConfiguration.hyperParameters, algorithm: "reinforce")
            return try REINFORCE(environment: environment, configuration: configuration, seed: seed)
        case "a2c":
            var configuration = A2CConfiguration()
            try applySettings(settings, to: &configuration, parameters: A2CConfiguration.hyperParameters, algorithm: "a2c")
            return try A2C(environment: environment, configuration: configuration, seed: seed)
        case "ppo":
            var configuration = PPOConfiguration()
            try applySettings(settings, to: &configuration, parameters: PPOConfiguration.hyperParameters, algorithm: "ppo")
            return try PPO(environment: environment, configuration: configuration, seed: seed)
        case "dqn":
            var configuration = DQNConfiguration()
            try applySettings(settings, to: &configuration, parameters: DQNConfiguration.hyperParameters, algorithm: "dqn")
            return try DQN(environment: environment, configuration: configuration, seed: seed)
        default:
            throw UnknownAlgorithm(name: name)
        }
    }

    /// Every hyper-parameter key of `name` with its default value.
    public static func defaults(_ name: String) -> [(key: String, value: String)] {
        switch name.lowercased() {
        case "reinforce": REINFORCEConfiguration.hyperParameters.map { (key: $0.key, value: $0.read(REINFORCEConfiguration())) }
        case "a2c": A2CConfiguration.hyperParameters.map { (key: $0.key, value: $0.read(A2CConfiguration())) }
        case "ppo": PPOConfiguration.hyperParameters.map { (key: $0.key, value: $0.read(PPOConfiguration())) }
        case "dqn": DQNConfiguration.hyperParameters.map { (key: $0.key, value: $0.read(DQNConfiguration())) }
        default: []
        }
    }
}

/// An algorithm name Nabla does not have.
public struct UnknownAlgorithm: Error, CustomStringConvertible {
    public let name: String
    public var description: String { "unknown algorithm '\(name)'; known: \(Algorithms.names.joined(separator: ", "))" }
}

extension REINFORCEConfiguration {
    public static let hyperParameters: [HyperParameter<Self>] = [
        .integer("episodes_per_update", \.episodesPerUpdate), .real("discount", \.discount), .real("learning_rate", \.learningRate),
        .flag("reward_to_go", \.rewardToGo), .flag("baseline", \.baseline), .flag("normalize_returns", \.normalizeReturns),
        .real("value_coefficient", \.valueCoefficient), .real("entropy_coefficient", \.entropyCoefficient),
        .real("max_grad_norm", \.maximumGradientNorm), .sizes("hidden_sizes", \.hiddenSizes),
    ]
}

extension A2CConfiguration {
    public static let hyperParameters: [HyperParameter<Self>] = [
        .integer("n_envs", \.environmentCount), .integer("n_steps", \.stepsPerRollout), .real("discount", \.discount),
        .real("gae_lambda", \.gaeLambda), .real("learning_rate", \.learningRate), .real("entropy_coefficient", \.entropyCoefficient),
        .real("value_coefficient", \.valueCoefficient), .real("max_grad_norm", \.maximumGradientNorm),
        .flag("normalize_advantages", \.normalizeAdvantages), .sizes("hidden_sizes", \.hiddenSizes),
    ]
}

extension PPOConfiguration {
    public static let hyperParameters: [HyperParameter<Self>] = [
        .integer("n_envs", \.environmentCount), .integer("n_steps", \.stepsPerRollout), .integer("batch_size", \.batchSize),
        .integer("epochs", \.epochs), .real("discount", \.discount), .real("gae_lambda", \.gaeLambda),
        .real("learning_rate", \.learningRate), .real("clip_range", \.clipRange), .flag("linear_decay", \.linearDecay),
        .real("entropy_coefficient", \.entropyCoefficient), .real("value_coefficient", \.valueCoefficient),
        .real("max_grad_norm", \.maximumGradientNorm), .sizes("hidden_sizes", \.hiddenSizes),
    ]
}

extension DQNConfiguration {
    public static let hyperParameters: [HyperParameter<Self>] = [
        .sizes("hidden_sizes", \.hiddenSizes), .real("learning_rate", \.learningRate), .integer("buffer_size", \.bufferSize),
        .integer("learning_starts", \.learningStarts), .integer("batch_size", \.batchSize), .real("discount", \.discount),
        .integer("train_frequency", \.trainFrequency), .integer("gradient_steps", \.gradientSteps),
        .integer("target_update_interval", \.targetUpdateInterval),
        .real("exploration_initial", \.explorationInitial), .real("exploration_final", \.explorationFinal),
        .real("exploration_fraction", \.explorationFraction),
        .real("max_grad_norm", \.maximumGradientNorm), .flag("double", \.double), .flag("dueling", \.dueling),
    ]
}
