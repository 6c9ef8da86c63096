import Nabla

/// Reads and writes the safetensors format of Hugging Face's `safetensors` library, the usual way to
/// move weights between PyTorch, NumPy and other frameworks:
///
/// ```text
/// 8 bytes      N, the header's length (unsigned, little-endian)
/// N bytes      a JSON object: {"__metadata__": {"key": "value", ...},            (optional, strings only)
///                              "name": {"dtype": "F32", "shape": [2, 3], "data_offsets": [begin, end]}, ...}
///              padded with spaces to a multiple of 8 bytes
/// the rest     the tensors' raw little-endian, C-order bytes; offsets count from the start of this region
/// ```
///
/// Reading is as strict as the Python library: the tensors must tile the data region exactly, in offset
/// order, from 0 to its end, without gaps or overlaps, each covering exactly shape × element size bytes.
/// Every size is checked against the file's length before anything is allocated, so a corrupt or hostile
/// file ends in a `DataError` naming the file and the problem, never in a crash or a huge allocation.
/// Floating types (F64, F32, F16, BF16) read as float32 `Tensor`s, integer and boolean types as
/// `IntTensor`s.
///
/// Writing lays tensors out as the Python library does (by element type, then by name; the header
/// padded with spaces to 8 bytes), so `safetensors.numpy.load_file` and `safetensors.torch.load_file`
/// read the result.
///
/// ```swift
/// try Safetensors.write(["weight": Tensor([1, 2, 3, 4], shape: [2, 2])], metadata: ["format": "pt"], to: "model.safetensors")
/// let file = try Safetensors.read("model.safetensors")
/// let weight = try file.tensor("weight")                    // 2×2
/// // Python: safetensors.numpy.load_file("model.safetensors")["weight"] → float32 array [[1, 2], [3, 4]]
/// ```
public enum Safetensors {
    /// The Python library refuses headers larger than this (100 MB); so does this reader.
    public static let maximumHeaderBytes = 100_000_000

    /// Reads and validates a safetensors file. Throws `DataError` naming the file.
    public static func read(_ path: String) throws -> SafetensorsFile {
        try parse(FileReading.bytes(at: path), name: path)
    }

    /// Parses and validates the bytes of a safetensors file; `name` labels errors.
    public static func parse(_ bytes: [UInt8], name: String) throws -> SafetensorsFile {
        guard bytes.count >= 8 else {
            throw DataError(.truncated, file: name, "holds \(bytes.count) bytes, too few for a safetensors header length (8)")
        }
        let declared = (0..<8).reduce(UInt64(0)) { $0 | UInt64(bytes[$1]) << (8 * UInt64($1)) }
        guard declared <= UInt64(maximumHeaderBytes) else {
            throw DataError(.invalidFormat, file: name,
                            "declares a header of \(declared) bytes, more than the \(maximumHeaderBytes) safetensors allows; this is not a safetensors file or it is corrupt")
        }
        let headerLength = Int(declared)
        guard 8 + headerLength <= bytes.count else {
            throw DataError(.truncated, file: name,
                            "declares a header of \(headerLength) bytes but only \(bytes.count - 8) bytes follow the length")
        }
        let headerBytes = bytes[8..<8 + headerLength]
        guard headerBytes.first == UInt8(ascii: "{") else {
            throw DataError(.invalidFormat, file: name, "the header does not start with '{'; this is not a safetensors file")
        }
        let header: JSONValue
        do {
            header = try JSONValue.parse(headerBytes, rules: .strict)
        } catch let error as JSONParseError {
            throw DataError(.invalidFormat, file: name,
                            "the header is not valid JSON at byte \(error.offset + 1) of the header: \(error.problem)")
        }
        guard case .object(let members) = header else {
            throw DataError(.invalidFormat, file: name, "the header is not a JSON object")
        }

        var metadata: [String: String] = [:]
        var entries: [SafetensorsEntry] = []
        for member in members {
            if member.key == "__metadata__" {
                metadata = try parseMetadata(member.value, name: name)
            } else {
                entries.append(try parseEntry(member.key, member.value, name: name))
            }
        }

        // The Python library's rule: sorted by offsets, the tensors tile the data region exactly.
        entries.sort { ($0.begin, $0.end) < ($1.begin, $1.end) }
        let dataStart = 8 + headerLength
        let dataLength = bytes.count - dataStart
        var position = 0
        for index in entries.indices {
            let entry = entries[index]
            guard entry.begin == position else {
                let problem = entry.begin < position
                    ? "overlaps the tensor before it (it begins at \(entry.begin), before \(position))"
                    : "leaves a gap: it begins at \(entry.begin) but the tensor before it ends at \(position)"
                throw DataError(.invalidFormat, file: name, "tensor '\(entry.name)': data_offsets [\(entry.begin), \(entry.end)] \(problem)")
            }
            guard entry.end <= dataLength else {
                throw DataError(.truncated, file: name,
                                "tensor '\(entry.name)': data_offsets [\(entry.begin), \(entry.end)] run past the end of the data (\(dataLength) bytes); the file is incomplete or corrupt")
            }
            position = entry.end
            entries[index].fileOffset = dataStart + entry.begin
        }
        guard position == dataLength else {
            throw DataError(.invalidFormat, file: name,
                            "the tensors cover \(position) bytes of data but \(dataLength) bytes follow the header; sizes disagree")
        }
        let file = SafetensorsFile(name: name, metadata: metadata, entries: entries, bytes: bytes)
        try file.verifyChecksums()
        return file
    }

    private static func parseMetadata(_ value: JSONValue, name: String) throws -> [String: String] {
        guard case .object(let members) = value else {
            throw DataError(.invalidFormat, file: name, "'__metadata__' must be an object of strings")
        }
        var result: [String: String] = [:]
        for member in members {
            guard case .string(let text) = member.value else {
                throw DataError(.invalidFormat, file: name, "'__metadata__' entry '\(member.key)' is not a string; safetensors metadata holds strings only")
            }
            result[member.key] = text
        }
        return result
    }

    private static func parseEntry(_ key: String, _ value: JSONValue, name: String) throws -> SafetensorsEntry {
        func invalid(_ problem: String) -> DataError {
            DataError(.invalidFormat, file: name, "tensor '\(key)': \(problem)")
        }
        guard case .object(let fields) = value else { throw invalid("its entry is not an object") }
        func field(_ field: String) throws -> JSONValue {
            guard let found = fields.first(where: { $0.key == field })?.value else { throw invalid("'\(field)' is missing") }
            return found
        }
        guard case .string(let typeName) = try field("dtype") else { throw invalid("'dtype' is not a string") }
        guard let dataType = SafetensorsDataType(rawValue: typeName) else {
            throw DataError(.unsupported, file: name,
                            "tensor '\(key)': the element type '\(typeName)' is unknown; known types: \(SafetensorsDataType.allCases.map(\.rawValue).joined(separator: ", "))")
        }
        guard case .array(let dimensions) = try field("shape") else { throw invalid("'shape' is not a list") }
        let shape = try dimensions.map { dimension -> Int in
            guard let size = dimension.nonNegativeInteger else { throw invalid("'shape' holds \(dimension.jsonText), not a non-negative integer") }
            return size
        }
        guard case .array(let offsets) = try field("data_offsets"), offsets.count == 2 else {
            throw invalid("'data_offsets' is not a list of two integers")
        }
        guard let begin = offsets[0].nonNegativeInteger, let end = offsets[1].nonNegativeInteger else {
            throw invalid("'data_offsets' holds \(offsets[0].jsonText) and \(offsets[1].jsonText), not two non-negative integers that fit in 64 bits")
        }
        guard begin <= end else { throw invalid("'data_offsets' [\(begin), \(end)] end before they begin") }
        // Overflow-checked: a declared 10¹² × 10¹² tensor is an error here, not an allocation later.
        var byteCount = dataType.byteWidth
        for size in shape {
            let (product, overflow) = byteCount.multipliedReportingOverflow(by: size)
            guard !overflow else { throw invalid("its shape \(describeShape(shape)) is impossibly large") }
            byteCount = product
        }
        // Strides multiply the sizes even when another size is 0, so they must fit too.
        var elements = 1
        for size in shape {
            let (product, overflow) = elements.multipliedReportingOverflow(by: max(size, 1))
            guard !overflow else { throw invalid("its shape \(describeShape(shape)) is impossibly large") }
            elements = product
        }
        guard end - begin == byteCount else {
            throw invalid("shape \(describeShape(shape)) of \(typeName) needs \(byteCount) bytes but data_offsets [\(begin), \(end)] hold \(end - begin)")
        }
        return SafetensorsEntry(name: key, dataType: dataType, shape: shape, begin: begin, end: end)
    }

    // MARK: Writing

    /// The bytes of a safetensors file holding `tensors` and the string `metadata`, laid out as the Python
    /// library lays them out. A name may not be `__metadata__`. With `checksums`, the metadata also
    /// records each tensor's CRC-32 under `checksumKey`, which `parse` verifies (the Python library
    /// ignores it); without, the bytes are exactly the Python library's.
    public static func encode(_ tensors: [String: SafetensorsTensor], metadata: [String: String] = [:],
                              checksums: Bool = false) throws -> [UInt8] {
        if tensors["__metadata__"] != nil {
            throw DataError(.invalidRequest, "a tensor may not be named '__metadata__'; that key holds the file's metadata")
        }
        let ordered = tensors.sorted { left, right in
            let leftRank = left.value.dataType.layoutRank, rightRank = right.value.dataType.layoutRank
            if leftRank != rightRank { return leftRank > rightRank }
            return Array(left.key.utf8).lexicographicallyPrecedes(Array(right.key.utf8))
        }
        // The data first, so its checksums can go into the header that precedes it.
        var data: [UInt8] = []
        var crcs: [(name: String, crc: UInt32)] = []
        for (name, tensor) in ordered {
            let start = data.count
            tensor.appendBytes(to: &data)
            if checksums { crcs.append((name, data.withUnsafeBytes { Safetensors.crc32(UnsafeRawBufferPointer(rebasing: $0[start...])) })) }
        }
        var metadata = metadata
        if checksums && !ordered.isEmpty { metadata[checksumKey] = checksumText(crcs) }
        var members: [JSONMember] = []
        if !metadata.isEmpty {
            let sorted = metadata.sorted { Array($0.key.utf8).lexicographicallyPrecedes(Array($1.key.utf8)) }
            members.append(JSONMember(key: "__metadata__", value: .object(sorted.map { JSONMember(key: $0.key, value: .string($0.value)) })))
        }
        var offset = 0
        for (name, tensor) in ordered {
            let size = tensor.byteCount
            members.append(JSONMember(key: name, value: .object([
                JSONMember(key: "dtype", value: .string(tensor.dataType.rawValue)),
                JSONMember(key: "shape", value: .array(tensor.shape.map(JSONValue.integer))),
                JSONMember(key: "data_offsets", value: .array([.integer(offset), .integer(offset + size)])),
            ])))
            offset += size
        }
        var header = Array(JSONValue.object(members).jsonText.utf8)
        header += repeatElement(UInt8(ascii: " "), count: (8 - header.count % 8) % 8)

        var bytes: [UInt8] = []
        bytes.reserveCapacity(8 + header.count + offset)
        for shift in stride(from: 0, to: 64, by: 8) { bytes.append(UInt8(truncatingIfNeeded: UInt64(header.count) >> UInt64(shift))) }
        bytes += header
        bytes += data
        return bytes
    }

    /// Writes `tensors` (float32, or another floating type) and integer tensors (int64) with `metadata`
    /// as a safetensors file, atomically: readers see the old file or the complete new one. Each tensor's
    /// CRC-32 goes into the metadata (see `encode`) unless `checksums` is false.
    public static func write(_ tensors: [String: SafetensorsTensor], metadata: [String: String] = [:], checksums: Bool = true,
                             to path: String) throws {
        let bytes: [UInt8]
        do {
            bytes = try encode(tensors, metadata: metadata, checksums: checksums)
        } catch let error as DataError {
            throw DataError(error.kind, file: path, error.message)
        }
        try writeFileAtomically(bytes, to: path)
    }

    /// Writes float tensors as F32; see `write(_:metadata:to:)`.
    public static func write(_ tensors: [String: Tensor], metadata: [String: String] = [:], checksums: Bool = true,
                             to path: String) throws {
        try write(tensors.mapValues { SafetensorsTensor.float($0) }, metadata: metadata, checksums: checksums, to: path)
    }
}

/// A tensor to write, with the element type it is stored as.
public enum SafetensorsTensor {
    /// Floats stored as `type`: `.float32` (exact), `.float64` (exact), `.float16` or `.bfloat16`
    /// (rounded to nearest even).
    case float(Tensor, as: SafetensorsDataType = .float32)
    /// Integers stored as I64.
    case integer(IntTensor)

    public var dataType: SafetensorsDataType {
        switch self {
        case .float(_, let type): type
        case .integer: .int64
        }
    }

    public var shape: [Int] {
        switch self {
        case .float(let tensor, _): tensor.shape
        case .integer(let tensor): tensor.shape
        }
    }

    var byteCount: Int {
        switch self {
        case .float(let tensor, let type): tensor.count * type.byteWidth
        case .integer(let tensor): tensor.count * 8
        }
    }

    func appendBytes(to bytes: inout [UInt8]) {
        let start = bytes.count
        bytes.append(contentsOf: repeatElement(0, count: byteCount))
        bytes.withUnsafeMutableBytes { raw in
            let base = raw.baseAddress! + start
            switch self {
            case .integer(let tensor):
                for (index, value) in tensor.scalars.enumerated() {
                    base.storeBytes(of: Int64(value).littleEndian, toByteOffset: 8 * index, as: Int64.self)
                }
            case .float(let tensor, let type):
                tensor.withUnsafeBufferPointer { values in
                    switch type {
                    case .float32:
                        for (index, value) in values.enumerated() { base.storeBytes(of: value.bitPattern.littleEndian, toByteOffset: 4 * index, as: UInt32.self) }
                    case .float64:
                        for (index, value) in values.enumerated() { base.storeBytes(of: Double(value).bitPattern.littleEndian, toByteOffset: 8 * index, as: UInt64.self) }
                    case .float16:
                        for (index, value) in values.enumerated() { base.storeBytes(of: halfBitsFromFloat(value).littleEndian, toByteOffset: 2 * index, as: UInt16.self) }
                    case .bfloat16:
                        for (index, value) in values.enumerated() { base.storeBytes(of: bfloat16BitsFromFloat(value).littleEndian, toByteOffset: 2 * index, as: UInt16.self) }
                    default:
                        preconditionFailure("SafetensorsTensor.float: \(type.rawValue) is not a floating type; store integers with .integer")
                    }
                }
            }
        }
    }
}

/// One tensor's entry in a safetensors header.
public struct SafetensorsEntry: Sendable, Equatable {
    public let name: String
    public let dataType: SafetensorsDataType
    public let shape: [Int]
    /// Byte offsets within the data region (after the header), as the header gives them.
    public let begin: Int
    public let end: Int
    /// Where the data starts in the file.
    var fileOffset = 0

    public var count: Int { shape.reduce(1, *) }
}

/// A parsed, validated safetensors file: its metadata and tensors, converted on request.
public struct SafetensorsFile: Sendable {
    /// The name errors use (the file's path).
    public let name: String
    /// The header's `__metadata__` (empty when it has none).
    public let metadata: [String: String]
    /// The tensors' entries in data order.
    public let entries: [SafetensorsEntry]
    let bytes: [UInt8]

    init(name: String, metadata: [String: String], entries: [SafetensorsEntry], bytes: [UInt8]) {
        self.name = name
        self.metadata = metadata
        self.entries = entries
        self.bytes = bytes
    }

    /// The tensors' names in data order.
    public var names: [String] { entries.map(\.name) }

    public func entry(_ tensorName: String) -> SafetensorsEntry? { entries.first { $0.name == tensorName } }

    /// The named tensor as float32; integer types convert exactly up to 2²⁴. Throws `DataError` for a
    /// missing name or an 8-bit float type.
    public func tensor(_ tensorName: String) throws -> Tensor {
        try tensor(of: lookUp(tensorName))
    }

    /// The named tensor as integers. Throws `DataError` for a missing name, a floating type, or an
    /// unsigned 64-bit value beyond `Int.max`.
    public func intTensor(_ tensorName: String) throws -> IntTensor {
        let entry = try lookUp(tensorName)
        guard entry.dataType.isInteger else {
            throw DataError(.unsupported, file: name, "tensor '\(tensorName)' holds \(entry.dataType.rawValue) values, not integers; read it with tensor(_:)")
        }
        var values = [Int](repeating: 0, count: entry.count)
        var tooLarge: UInt64?
        bytes.withUnsafeBytes { raw in
            let base = raw.baseAddress! + entry.fileOffset
            func load<T: FixedWidthInteger>(_: T.Type, _ index: Int) -> T {
                T(littleEndian: base.loadUnaligned(fromByteOffset: index * MemoryLayout<T>.size, as: T.self))
            }
            for index in values.indices {
                switch entry.dataType {
                case .bool: values[index] = load(UInt8.self, index) == 0 ? 0 : 1
                case .uint8: values[index] = Int(load(UInt8.self, index))
                case .int8: values[index] = Int(load(Int8.self, index))
                case .int16: values[index] = Int(load(Int16.self, index))
                case .uint16: values[index] = Int(load(UInt16.self, index))
                case .int32: values[index] = Int(load(Int32.self, index))
                case .uint32: values[index] = Int(load(UInt32.self, index))
                case .int64: values[index] = Int(load(Int64.self, index))
                case .uint64:
                    let value = load(UInt64.self, index)
                    if value > UInt64(Int.max) { tooLarge = tooLarge ?? value } else { values[index] = Int(value) }
                default: break
                }
            }
        }
        if let tooLarge {
            throw DataError(.unsupported, file: name, "tensor '\(tensorName)' holds the unsigned value \(tooLarge), too large for a signed 64-bit integer")
        }
        return IntTensor(values, shape: entry.shape)
    }

    /// Every tensor as float32, by name (see `tensor(_:)`).
    public func tensors() throws -> [String: Tensor] {
        var result: [String: Tensor] = [:]
        for entry in entries { result[entry.name] = try tensor(of: entry) }
        return result
    }

    private func lookUp(_ tensorName: String) throws -> SafetensorsEntry {
        guard let entry = entry(tensorName) else {
            throw DataError(.invalidRequest, file: name, "holds no tensor named '\(tensorName)'")
        }
        return entry
    }

    private func tensor(of entry: SafetensorsEntry) throws -> Tensor {
        if entry.dataType == .float8E4M3 || entry.dataType == .float8E5M2 {
            throw DataError(.unsupported, file: name, "tensor '\(entry.name)' holds 8-bit floats (\(entry.dataType.rawValue)), which are not converted")
        }
        if entry.dataType.isInteger { return try intTensor(entry.name).asTensor }
        return bytes.withUnsafeBytes { raw in
            let base = raw.baseAddress! + entry.fileOffset
            return Tensor(shape: entry.shape) { output in
                switch entry.dataType {
                case .float32:
                    for index in output.indices { output[index] = Float(bitPattern: UInt32(littleEndian: base.loadUnaligned(fromByteOffset: 4 * index, as: UInt32.self))) }
                case .float64:
                    for index in output.indices { output[index] = Float(Double(bitPattern: UInt64(littleEndian: base.loadUnaligned(fromByteOffset: 8 * index, as: UInt64.self)))) }
                case .float16:
                    for index in output.indices { output[index] = floatFromHalfBits(UInt16(littleEndian: base.loadUnaligned(fromByteOffset: 2 * index, as: UInt16.self))) }
                case .bfloat16:
                    for index in output.indices { output[index] = floatFromBFloat16Bits(UInt16(littleEndian: base.loadUnaligned(fromByteOffset: 2 * index, as: UInt16.self))) }
                default: break
                }
            }
        }
    }
}
