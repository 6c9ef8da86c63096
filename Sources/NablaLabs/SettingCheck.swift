/// Throws `LabError` naming `key`, the value and the allowed range unless `value` lies in `range`
/// (the experiments' own settings structs check themselves, also when called without `nabla lab`).
func requireSetting<Value: Comparable>(_ key: String, _ value: Value, in range: ClosedRange<Value>) throws {
    guard range.contains(value) else {
        throw LabError("setting '\(key)' = \(value) is not valid: it must be in \(range.lowerBound)...\(range.upperBound)")
    }
}
