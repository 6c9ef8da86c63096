#if canImport(Glibc)
import Glibc
#endif
import Foundation
import NablaData

/// A value that can stand in a JSON line: numbers, strings and booleans, nothing nested.
protocol JSONScalar {
    /// The value as JSON text.
    var jsonText: String { get }
}

extension Int: JSONScalar {
    var jsonText: String { String(self) }
}

extension Bool: JSONScalar {
    var jsonText: String { self ? "true" : "false" }
}

extension Double: JSONScalar {
    /// Four significant digits: a measurement on a shared machine moves by more than that from run to
    /// run, and short numbers keep the lines readable. NaN and infinity have no JSON form, so they are null.
    var jsonText: String { isFinite ? String(format: "%.4g", self) : "null" }
}

extension Float: JSONScalar {
    var jsonText: String { Double(self).jsonText }
}

extension String: JSONScalar {
    var jsonText: String {
        var text = ""
        JSONValue.writeString(self, to: &text)
        return text
    }
}

/// Prints one JSON object on one line, keys in the order given, and flushes standard output, so a
/// reader piping the output (`| jq`, a log collector) sees each result as soon as it is measured.
///
/// ```swift
/// printJSONLine(["benchmark": "matmul", "n": 256, "ratio": 0.98])
/// // {"benchmark":"matmul","n":256,"ratio":0.98}
/// ```
func printJSONLine(_ fields: KeyValuePairs<String, any JSONScalar>) {
    let body = fields.map { key, value in key.jsonText + ":" + value.jsonText }.joined(separator: ",")
    print("{" + body + "}")
    fflush(stdout)
}
