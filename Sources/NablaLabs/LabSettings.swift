import Foundation
import NablaData

/// One setting a lab declares: its key (as typed in `--set key=value`), a help line, its kind with the
/// allowed values, the default (the full setting) and, optionally, the value of the quick setting.
///
/// ```swift
/// var settings: [LabSetting] {
///     [.integer("epochs", 10, quick: 1, in: 1...1000, "passes over the training set"),
///      .real("learning_rate", 1e-3, in: 1e-8...10, "Adam's learning rate"),
///      .choice("optimizer", "adam", among: ["adam", "adamw", "sgd"], "the optimiser"),
///      .flag("normalize_inputs", true, "scale inputs to zero mean and unit variance")]
/// }
/// ```
public struct LabSetting {
    public enum Kind: Equatable {
        case integer(ClosedRange<Int>)
        case real(ClosedRange<Double>)
        case flag
        case choice([String])
        case text
    }

    public let key: String
    public let help: String
    public let kind: Kind
    public let defaultValue: LabValue
    public let quickValue: LabValue?

    public static func integer(_ key: String, _ value: Int, quick: Int? = nil, in range: ClosedRange<Int>, _ help: String) -> LabSetting {
        LabSetting(key: key, help: help, kind: .integer(range), defaultValue: .integer(value), quickValue: quick.map(LabValue.integer))
    }

    public static func real(_ key: String, _ value: Double, quick: Double? = nil, in range: ClosedRange<Double>, _ help: String) -> LabSetting {
        LabSetting(key: key, help: help, kind: .real(range), defaultValue: .real(value), quickValue: quick.map(LabValue.real))
    }

    public static func flag(_ key: String, _ value: Bool, quick: Bool? = nil, _ help: String) -> LabSetting {
        LabSetting(key: key, help: help, kind: .flag, defaultValue: .flag(value), quickValue: quick.map(LabValue.flag))
    }

    public static func choice(_ key: String, _ value: String, quick: String? = nil, among choices: [String], _ help: String) -> LabSetting {
        LabSetting(key: key, help: help, kind: .choice(choices), defaultValue: .text(value), quickValue: quick.map(LabValue.text))
    }

    public static func text(_ key: String, _ value: String, quick: String? = nil, _ help: String) -> LabSetting {
        LabSetting(key: key, help: help, kind: .text, defaultValue: .text(value), quickValue: quick.map(LabValue.text))
    }

    /// What the setting accepts, as the help and error messages say it.
    public var allowed: String {
        switch kind {
        case .integer(let range): "an integer in \(range.lowerBound)...\(range.upperBound)"
        case .real(let range): "a number in \(format(range.lowerBound))...\(format(range.upperBound))"
        case .flag: "true or false"
        case .choice(let choices): "one of " + choices.joined(separator: ", ")
        case .text: "any text"
        }
    }

    /// Reads `text` as this setting's value; throws `LabError` naming the key and what it accepts.
    public func parse(_ text: String) throws -> LabValue {
        func refuse() -> LabError { LabError("setting '\(key)' = '\(text)' is not valid: it must be \(allowed)") }
        switch kind {
        case .integer:
            guard let value = Int(text.trimmingCharacters(in: .whitespaces)) else { throw refuse() }
            return try checked(.integer(value))
        case .real:
            guard let value = Double(text.trimmingCharacters(in: .whitespaces)), value.isFinite else { throw refuse() }
            return try checked(.real(value))
        case .flag:
            switch text.lowercased() {
            case "true", "yes", "1", "on": return .flag(true)
            case "false", "no", "0", "off": return .flag(false)
            default: throw refuse()
            }
        case .choice, .text:
            return try checked(.text(text))
        }
    }

    /// `value` when it has this setting's type and lies in its range; a thrown `LabError` otherwise.
    public func checked(_ value: LabValue) throws -> LabValue {
        func refuse() -> LabError { LabError("setting '\(key)' = \(value) is not valid: it must be \(allowed)") }
        switch (kind, value) {
        case (.integer(let range), .integer(let number)): guard range.contains(number) else { throw refuse() }
        case (.real(let range), .real(let number)): guard number.isFinite, range.contains(number) else { throw refuse() }
        case (.real(let range), .integer(let number)):
            // JSON writes 1.0 as 1; a whole number is a fine real value.
            guard range.contains(Double(number)) else { throw refuse() }
            return .real(Double(number))
        case (.flag, .flag), (.text, .text): break
        case (.choice(let choices), .text(let text)): guard choices.contains(text) else { throw refuse() }
        default: throw refuse()
        }
        return value
    }
}

/// A setting's value.
public enum LabValue: Equatable, Codable, CustomStringConvertible {
    case integer(Int)
    case real(Double)
    case flag(Bool)
    case text(String)

    public var description: String {
        switch self {
        case .integer(let value): "\(value)"
        case .real(let value): format(value)
        case .flag(let value): "\(value)"
        case .text(let value): value
        }
    }

    /// The value as config.json holds it.
    public var json: Any {
        switch self {
        case .integer(let value): value
        case .real(let value): value
        case .flag(let value): value
        case .text(let value): value
        }
    }

    /// A value read back from config.json, for `LabSetting.checked`: integers stay integers (so
    /// `batch_size: 64.5` is refused by an integer setting rather than rounded).
    static func from(json value: JSONValue) -> LabValue? {
        switch value {
        case .bool(let flag): return .flag(flag)
        case .number(let literal):
            if let integer = Int(literal) { return .integer(integer) }
            return Double(literal).map(LabValue.real)
        case .string(let text): return .text(text)
        default: return nil
        }
    }
}

/// The values of a lab's settings for one run, read by key.
public struct LabValues {
    public private(set) var values: [String: LabValue]
    /// The settings in the lab's order.
    public let settings: [LabSetting]

    init(settings: [LabSetting], values: [String: LabValue]) {
        self.settings = settings
        self.values = values
    }

    private func value(_ key: String) -> LabValue {
        guard let value = values[key] else { preconditionFailure("lab setting '\(key)' is not declared; declare it in the lab's `settings`") }
        return value
    }

    public func integer(_ key: String) -> Int {
        guard case .integer(let number) = value(key) else { preconditionFailure("lab setting '\(key)' is not an integer") }
        return number
    }

    public func real(_ key: String) -> Double {
        switch value(key) {
        case .real(let number): return number
        case .integer(let number): return Double(number)
        default: preconditionFailure("lab setting '\(key)' is not a number")
        }
    }

    public func flag(_ key: String) -> Bool {
        guard case .flag(let flag) = value(key) else { preconditionFailure("lab setting '\(key)' is not a flag") }
        return flag
    }

    public func text(_ key: String) -> String {
        guard case .text(let text) = value(key) else { preconditionFailure("lab setting '\(key)' is not text") }
        return text
    }

    /// The settings as config.json records them, and as the checkpoint's settings record.
    public var json: [String: Any] { values.mapValues(\.json) }

    /// Sorted-key JSON text, stable across runs (the checkpoint compares it).
    public var record: String {
        let data = (try? JSONSerialization.data(withJSONObject: json, options: [.sortedKeys, .withoutEscapingSlashes])) ?? Data()
        return String(decoding: data, as: UTF8.self)
    }
}

/// A lab that cannot run as asked: an unknown lab or setting, a value of the wrong type or out of range.
public struct LabError: Error, CustomStringConvertible {
    public let description: String
    public init(_ description: String) { self.description = description }
}

func format(_ value: Double) -> String { String(format: "%g", value) }
