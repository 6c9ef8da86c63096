/// A lab setting out of its allowed range: names the key, the value given and what is allowed.
public struct LabSettingError: Error, CustomStringConvertible, Equatable {
    public let key: String
    public let message: String

    public var description: String { "setting '\(key)': \(message)" }
}

/// Throws `LabSettingError` for `key` unless `value` lies in `range`.
func requireSetting<Value: Comparable>(_ key: String, _ value: Value, in range: ClosedRange<Value>) throws {
    guard range.contains(value) else {
        throw LabSettingError(key: key, message: "\(value) is outside the allowed range \(range.lowerBound)...\(range.upperBound)")
    }
}
