/// An error in input data: a file that is missing, unreadable, truncated, corrupt or not in the expected
/// format. Its description names the file (and the line, for text formats), says what is wrong, and where
/// it can, what to do about it.
///
/// Every reader in NablaData throws these instead of trapping, so a command-line tool can print
/// `error.description` and exit cleanly.
///
/// ```swift
/// do {
///     let images = try IDX.read("train-images-idx3-ubyte.gz")
/// } catch let error as DataError {
///     print(error)   // train-images-idx3-ubyte.gz: truncated: header declares 60000 items of 28×28 ...
/// }
/// ```
public struct DataError: Error, CustomStringConvertible, Equatable, Sendable {
    /// What kind of problem this is, for code that wants to react to some of them.
    public enum Kind: String, Sendable {
        /// The file or folder does not exist.
        case notFound = "not found"
        /// The file exists but could not be opened or read (permissions, a folder, an I/O error).
        case unreadable
        /// The data ends before the size its header declares.
        case truncated
        /// The bytes are not in the expected format (wrong magic number, malformed header, bad syntax).
        case invalidFormat = "invalid format"
        /// A valid file that uses a feature this reader does not support (a data type, an ordering).
        case unsupported
        /// A compressed stream that cannot be decompressed.
        case corrupt
        /// A missing value (empty, NA, NaN, ?) where a value is required.
        case missingValue = "missing value"
        /// A row with a different number of fields than the header.
        case raggedRow = "ragged row"
        /// A request that does not fit the data (an unknown column, a label that is not an integer).
        case invalidRequest = "invalid request"
        /// Writing a file failed.
        case writeFailed = "write failed"
    }

    public let kind: Kind
    /// The file's name as the user gave it, when the error concerns a file.
    public let file: String?
    /// The 1-based line in a text file where the problem starts.
    public let line: Int?
    /// What is wrong, and what to do where that is known.
    public let message: String

    public init(_ kind: Kind, file: String? = nil, line: Int? = nil, _ message: String) {
        self.kind = kind
        self.file = file
        self.line = line
        self.message = message
    }

    /// `file:line: kind: message`, leaving out what is unknown.
    public var description: String {
        var location = file ?? ""
        if let line { location += location.isEmpty ? "line \(line)" : ":\(line)" }
        return (location.isEmpty ? "" : location + ": ") + kind.rawValue + ": " + message
    }
}

/// Writes a shape as `60000×28×28` for messages.
func describeShape(_ shape: [Int]) -> String {
    shape.isEmpty ? "a scalar" : shape.map(String.init).joined(separator: "×")
}
