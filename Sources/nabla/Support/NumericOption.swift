import ArgumentParser

/// Parsers for numeric options that say what is allowed. ArgumentParser's own message for a value its
/// type cannot hold ("The value '-1' is invalid for '--seed <seed>'") names neither the range nor why;
/// a transform that throws is reported with its message, so `--seed -1` says
/// "--seed must be a whole number from 0 to 9223372036854775807, not '-1'".
///
/// ```swift
/// @Option(parsing: .unconditional, transform: NumericOption.integer("--seed", in: 0...Int.max)) var seed: Int?
/// ```
enum NumericOption {
    /// A whole number in `range`. Accepts what `Int(_:)` does (an optional sign, decimal digits).
    static func integer(_ option: String, in range: ClosedRange<Int>) -> (String) throws -> Int {
        { text in
            let allowed = describe(range)
            guard let value = Int(text.trimmingCharacters(in: " ")) else {
                throw ValidationError("\(option) must be \(allowed), not '\(text)'")
            }
            guard range.contains(value) else { throw ValidationError("\(option) must be \(allowed), not \(value)") }
            return value
        }
    }

    /// A seed: a whole number from 0 to `UInt64.max` (every seed the generator takes).
    static func seed(_ option: String) -> (String) throws -> UInt64 {
        { text in
            guard let value = UInt64(text.trimmingCharacters(in: " ")) else {
                throw ValidationError("\(option) must be a whole number from 0 to \(UInt64.max), not '\(text)'")
            }
            return value
        }
    }

    /// A finite real number that `accepts`, described to the user as `allowed` (e.g. "a number above 0").
    /// NaN and infinities are refused whatever `accepts` says.
    static func real(_ option: String, _ allowed: String, accepts: @escaping (Double) -> Bool) -> (String) throws -> Double {
        { text in
            guard let value = Double(text.trimmingCharacters(in: " ")), value.isFinite, accepts(value) else {
                throw ValidationError("\(option) must be \(allowed), not '\(text)'")
            }
            return value
        }
    }

    static func describe(_ range: ClosedRange<Int>) -> String {
        if range.upperBound == Int.max { return "a whole number of at least \(range.lowerBound) (up to \(Int.max))" }
        return "a whole number from \(range.lowerBound) to \(range.upperBound)"
    }
}

extension String {
    /// The string without leading and trailing `character`s.
    fileprivate func trimmingCharacters(in character: Character) -> String {
        String(drop(while: { $0 == character }).reversed().drop(while: { $0 == character }).reversed())
    }
}
