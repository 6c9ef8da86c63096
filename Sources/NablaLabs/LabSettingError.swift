/// A lab setting outside what the lab can run with: names the key (as written after `--set`), the value
/// given, and what is allowed.
///
/// ```swift
/// throw LabSettingError(key: "folds", value: "1", allowed: "an integer from 2 to 20")
/// // folds = 1 is not allowed: use an integer from 2 to 20
/// ```
public struct LabSettingError: Error, CustomStringConvertible, Equatable, Sendable {
    public let key: String
    public let value: String
    public let allowed: String

    public init(key: String, value: String, allowed: String) {
        self.key = key
        self.value = value
        self.allowed = allowed
    }

    public var description: String { "\(key) = \(value) is not allowed: use \(allowed)" }
}

/// Throws a `LabSettingError` for `key` unless `condition` holds.
func requireSetting(_ condition: Bool, key: String, value: Any, allowed: String) throws {
    if !condition { throw LabSettingError(key: key, value: "\(value)", allowed: allowed) }
}
