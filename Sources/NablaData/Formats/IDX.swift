import Nabla

/// The element types of the IDX format, by their type code in the magic number.
public enum IDXDataType: UInt8, CaseIterable, Sendable {
    case unsignedByte = 0x08
    case signedByte = 0x09
    case short = 0x0B
    case int = 0x0C
    case float = 0x0D
    case double = 0x0E

    /// Bytes per element.
    public var byteWidth: Int {
        switch self {
        case .unsignedByte, .signedByte: 1
        case .short: 2
        case .int, .float: 4
        case .double: 8
        }
    }

    /// Whether elements are integers (and so can become an `IntTensor`).
    public var isInteger: Bool { self != .float && self != .double }

    var readableName: String {
        switch self {
        case .unsignedByte: "unsigned bytes"
        case .signedByte: "signed bytes"
        case .short: "16-bit integers"
        case .int: "32-bit integers"
        case .float: "32-bit floats"
        case .double: "64-bit floats"
        }
    }
}

/// An array read from an IDX file: its shape, element type and the raw big-endian elements, converted on
/// request straight into a tensor's buffer.
public struct IDXArray: Sendable {
    public let shape: [Int]
    public let dataType: IDXDataType
    /// The name errors use (the file's path).
    public let name: String
    /// The whole file's bytes; the elements start at `payloadOffset`.
    let bytes: [UInt8]
    let payloadOffset: Int

    /// The number of elements.
    public var count: Int { shape.reduce(1, *) }

    /// The elements as a float tensor of `shape`, each divided by `divisor` (e.g. 255 to scale bytes to
    /// [0, 1], the way torchvision's `ToTensor` does: a division, not a multiplication by 1/255, so values
    /// match PyTorch's bit for bit).
    public func tensor(dividingBy divisor: Float = 1) -> Tensor {
        let result = Tensor.zeros(shape)
        result.withUnsafeMutableBufferPointer { destination in
            bytes.withUnsafeBytes { raw in
                decodeIDXElements(UnsafeRawBufferPointer(rebasing: raw[payloadOffset...]), dataType, count: count,
                                  divisor: divisor, into: destination)
            }
        }
        return result
    }

    /// The elements as integers. Throws `.unsupported` for float and double arrays, whose values are not
    /// labels or indices.
    public func intTensor() throws -> IntTensor {
        guard dataType.isInteger else {
            throw DataError(.unsupported, file: name,
                            "holds \(dataType.readableName), not integers; read it with tensor() instead of intTensor()")
        }
        let width = dataType.byteWidth
        let values = bytes.withUnsafeBytes { raw in
            [Int](unsafeUninitializedCapacity: count) { buffer, initialized in
                initialized = 0
                guard count > 0, let base = raw.baseAddress else { return }
                let source = base + payloadOffset
                for index in 0..<count {
                    let element = source + index * width
                    buffer[index] = switch dataType {
                    case .unsignedByte: Int(element.load(as: UInt8.self))
                    case .signedByte: Int(element.load(as: Int8.self))
                    case .short: Int(Int16(bigEndian: element.loadUnaligned(as: Int16.self)))
                    default: Int(Int32(bigEndian: element.loadUnaligned(as: Int32.self)))
                    }
                }
                initialized = count
            }
        }
        return IntTensor(values, shape: shape)
    }
}

/// Reads and writes IDX files, the format of MNIST and Fashion-MNIST: a magic number (two zero bytes, a
/// type code, the rank), one big-endian 32-bit size per axis, then the elements big-endian, row-major.
///
/// ```swift
/// let images = try IDX.read("train-images-idx3-ubyte.gz", expecting: .unsignedByte, rank: 3)
/// let pixels = images.tensor(dividingBy: 255)     // 60000×28×28, values in [0, 1]
/// let labels = try IDX.read("train-labels-idx1-ubyte.gz", expecting: .unsignedByte, rank: 1).intTensor()
/// ```
public enum IDX {
    /// Reads an IDX file, gunzipping it if it is compressed. With `dataType` and `rank` the magic number
    /// must match them. Throws `DataError` naming the file for a missing file, a wrong magic number,
    /// truncated data or sizes that disagree.
    public static func read(_ path: String, expecting dataType: IDXDataType? = nil, rank: Int? = nil) throws -> IDXArray {
        let raw = try FileReading.bytes(at: path)
        guard Gzip.isCompressed(raw) else {
            let array = try parse(raw, name: path, expecting: dataType, rank: rank)
            // The file is read (its size was checked); its float copy is not made yet.
            try checkWithFloatCopy(bytes: raw.count, shape: array.shape, path: path)
            return array
        }
        // Inflate the header first, then no more than the size it declares: a file that inflates past its
        // own header (a damaged file or a decompression bomb) stops there instead of at the memory limit.
        guard let (shape, declared) = declaredSize(try Gzip.decompressedPrefix(raw, count: 4 + 4 * 255, name: path)) else {
            return try parse(Gzip.decompress(raw, name: path), name: path, expecting: dataType, rank: rank)
        }
        try checkWithFloatCopy(bytes: declared, shape: shape, path: path)
        let bytes: [UInt8]
        do {
            bytes = try Gzip.decompress(raw, name: path, maximumBytes: declared)
        } catch let error as DataError where error.kind == .invalidRequest {
            throw DataError(.invalidFormat, file: path,
                            "decompresses to more than the \(declared) bytes its header declares (\(describeShape(shape))); sizes disagree, the file is damaged or hostile")
        }
        return try parse(bytes, name: path, expecting: dataType, rank: rank)
    }

    /// The file's `bytes` and the 4-byte float per element that `tensor()` makes from them are both
    /// held at once (4× the file for bytes), so their sum is checked against `MemoryBudget` before
    /// either is allocated.
    static func checkWithFloatCopy(bytes: Int, shape: [Int], path: String) throws {
        let elements = shape.reduce(1) { MemoryBudget.bytes($0, $1, elementBytes: 1) }
        let floats = MemoryBudget.bytes(elements, elementBytes: MemoryLayout<Float>.stride)
        let total = bytes.addingReportingOverflow(floats)
        try MemoryBudget.check(bytes: total.overflow || floats == .max ? .max : total.partialValue,
                               for: "\(path): the \(describeShape(shape)) array its IDX header declares (\(MemoryBudget.describe(bytes)) of file data "
                                   + "and \(MemoryBudget.describe(floats)) as 32-bit floats)")
    }

    /// The shape and total size (header included) that the start of an IDX file declares, or nil when
    /// the start is not a complete, sensible IDX header (`parse` then says what is wrong).
    static func declaredSize(_ head: [UInt8]) -> (shape: [Int], bytes: Int)? {
        guard head.count >= 4, head[0] == 0, head[1] == 0, let dataType = IDXDataType(rawValue: head[2]) else { return nil }
        let rank = Int(head[3]), headerBytes = 4 + 4 * rank
        guard head.count >= headerBytes else { return nil }
        let shape = (0..<rank).map { Int(readBigEndianUInt32(head, at: 4 + 4 * $0)) }
        let payload = MemoryBudget.bytes(shape.isEmpty ? 1 : shape.reduce(1) { $0 == .max ? .max : MemoryBudget.bytes($0, $1, elementBytes: 1) },
                                         elementBytes: dataType.byteWidth)
        guard payload != .max else { return nil }
        let total = payload.addingReportingOverflow(headerBytes)
        return total.overflow ? nil : (shape, total.partialValue)
    }

    /// Parses the bytes of an (uncompressed) IDX file; `name` labels errors.
    public static func parse(_ bytes: [UInt8], name: String, expecting expectedType: IDXDataType? = nil,
                             rank expectedRank: Int? = nil) throws -> IDXArray {
        guard bytes.count >= 4 else {
            throw DataError(.truncated, file: name, "holds \(bytes.count) bytes, too few for the 4-byte IDX magic number")
        }
        let magic = readBigEndianUInt32(bytes, at: 0)
        let expectedMagic = expectedType.flatMap { type in expectedRank.map { magicNumber(type, rank: $0) } }
        guard bytes[0] == 0, bytes[1] == 0, let dataType = IDXDataType(rawValue: bytes[2]) else {
            let wanted = expectedMagic.map { "; expected \(hex($0))" } ?? ""
            throw DataError(.invalidFormat, file: name,
                            "not an IDX file: magic number \(hex(magic))\(wanted) (IDX files start with two zero bytes, a type code 0x08–0x0E and the rank)")
        }
        let rank = Int(bytes[3])
        if let expectedType, let expectedRank, dataType != expectedType || rank != expectedRank {
            throw DataError(.invalidFormat, file: name,
                            "wrong magic number \(hex(magic)) (\(dataType.readableName), rank \(rank)): expected \(hex(magicNumber(expectedType, rank: expectedRank))) (\(expectedType.readableName), rank \(expectedRank)); is this the right file?")
        } else if let expectedType, dataType != expectedType {
            throw DataError(.invalidFormat, file: name,
                            "holds \(dataType.readableName) (magic \(hex(magic))) but \(expectedType.readableName) were expected; is this the right file?")
        } else if let expectedRank, rank != expectedRank {
            throw DataError(.invalidFormat, file: name,
                            "has rank \(rank) (magic \(hex(magic))) but rank \(expectedRank) was expected; is this the right file?")
        }

        let headerBytes = 4 + 4 * rank
        guard bytes.count >= headerBytes else {
            throw DataError(.truncated, file: name,
                            "the header of a rank-\(rank) IDX file needs \(headerBytes) bytes but the file holds \(bytes.count)")
        }
        let shape = (0..<rank).map { Int(readBigEndianUInt32(bytes, at: 4 + 4 * $0)) }
        // Every size is below 2^32, but their product can overflow: compare before trusting it.
        var payloadBytes = dataType.byteWidth
        for size in shape {
            let (product, overflow) = payloadBytes.multipliedReportingOverflow(by: size)
            guard !overflow else {
                throw DataError(.invalidFormat, file: name, "header declares an impossible size \(describeShape(shape))")
            }
            payloadBytes = product
        }
        let (expectedTotal, overflow) = headerBytes.addingReportingOverflow(payloadBytes)
        guard !overflow, expectedTotal == bytes.count else {
            let declared = "header declares \(describeContents(shape, dataType)) (\(expectedTotal) bytes with the header)"
            if overflow || expectedTotal > bytes.count {
                throw DataError(.truncated, file: name, "\(declared) but the data holds \(bytes.count) bytes; the file is incomplete")
            }
            throw DataError(.invalidFormat, file: name,
                            "\(declared) but the data holds \(bytes.count) bytes, \(bytes.count - expectedTotal) more than declared; sizes disagree")
        }
        return IDXArray(shape: shape, dataType: dataType, name: name, bytes: bytes, payloadOffset: headerBytes)
    }

    /// The bytes of an IDX file holding `values` (row-major) as `dataType`; each value is converted the way
    /// Swift's numeric initialisers convert it (values must fit the type).
    public static func encode(_ values: [Double], shape: [Int], as dataType: IDXDataType) -> [UInt8] {
        precondition(shape.count <= 255 && shape.allSatisfy { $0 >= 0 && $0 <= Int(UInt32.max) },
                     "IDX.encode: shape \(shape) does not fit the IDX header")
        precondition(shape.reduce(1, *) == values.count, "IDX.encode: \(values.count) values do not fill shape \(shape)")
        var bytes: [UInt8] = [0, 0, dataType.rawValue, UInt8(shape.count)]
        bytes.reserveCapacity(4 + 4 * shape.count + values.count * dataType.byteWidth)
        for size in shape { appendBigEndian(UInt64(size), byteCount: 4, to: &bytes) }
        for value in values {
            switch dataType {
            case .unsignedByte: bytes.append(UInt8(value))
            case .signedByte: bytes.append(UInt8(bitPattern: Int8(value)))
            case .short: appendBigEndian(UInt64(UInt16(bitPattern: Int16(value))), byteCount: 2, to: &bytes)
            case .int: appendBigEndian(UInt64(UInt32(bitPattern: Int32(value))), byteCount: 4, to: &bytes)
            case .float: appendBigEndian(UInt64(Float(value).bitPattern), byteCount: 4, to: &bytes)
            case .double: appendBigEndian(value.bitPattern, byteCount: 8, to: &bytes)
            }
        }
        return bytes
    }

    /// Writes an IDX file atomically, gzip-compressed when `path` ends in `.gz`.
    public static func write(_ values: [Double], shape: [Int], as dataType: IDXDataType, to path: String) throws {
        let bytes = encode(values, shape: shape, as: dataType)
        try writeFileAtomically(path.hasSuffix(".gz") ? Gzip.compress(bytes) : bytes, to: path)
    }

    /// The magic number for a type and rank, e.g. 0x00000803 for rank-3 unsigned bytes.
    public static func magicNumber(_ dataType: IDXDataType, rank: Int) -> UInt32 {
        UInt32(dataType.rawValue) << 8 | UInt32(rank & 0xFF)
    }

    private static func describeContents(_ shape: [Int], _ dataType: IDXDataType) -> String {
        guard let first = shape.first else { return "one element of \(dataType.readableName)" }
        if shape.count == 1 { return "\(first) \(dataType.readableName)" }
        return "\(first) items of \(describeShape(Array(shape.dropFirst()))) \(dataType.readableName)"
    }
}

private func hex(_ value: UInt32) -> String {
    let digits = String(value, radix: 16, uppercase: true)
    return "0x" + String(repeating: "0", count: max(0, 8 - digits.count)) + digits
}

private func readBigEndianUInt32(_ bytes: [UInt8], at offset: Int) -> UInt32 {
    UInt32(bytes[offset]) << 24 | UInt32(bytes[offset + 1]) << 16 | UInt32(bytes[offset + 2]) << 8 | UInt32(bytes[offset + 3])
}

private func appendBigEndian(_ value: UInt64, byteCount: Int, to bytes: inout [UInt8]) {
    for shift in stride(from: 8 * (byteCount - 1), through: 0, by: -8) { bytes.append(UInt8(truncatingIfNeeded: value >> UInt64(shift))) }
}

/// Converts big-endian IDX elements to floats divided by `divisor`, one tight loop per type so the
/// compiler vectorises the byte case (60,000 images decode in a few milliseconds).
private func decodeIDXElements(_ source: UnsafeRawBufferPointer, _ dataType: IDXDataType, count: Int, divisor: Float,
                               into destination: UnsafeMutableBufferPointer<Float>) {
    guard count > 0, let base = source.baseAddress, let output = destination.baseAddress else { return }
    switch dataType {
    case .unsignedByte:
        // A table of the 256 possible quotients keeps the exact division at the cost of a look-up.
        let table = (0..<256).map { Float($0) / divisor }
        let bytes = base.assumingMemoryBound(to: UInt8.self)
        table.withUnsafeBufferPointer { table in
            for index in 0..<count { output[index] = table[Int(bytes[index])] }
        }
    case .signedByte:
        let bytes = base.assumingMemoryBound(to: Int8.self)
        for index in 0..<count { output[index] = Float(bytes[index]) / divisor }
    case .short:
        for index in 0..<count { output[index] = Float(Int16(bigEndian: base.loadUnaligned(fromByteOffset: 2 * index, as: Int16.self))) / divisor }
    case .int:
        for index in 0..<count { output[index] = Float(Int32(bigEndian: base.loadUnaligned(fromByteOffset: 4 * index, as: Int32.self))) / divisor }
    case .float:
        for index in 0..<count {
            output[index] = Float(bitPattern: UInt32(bigEndian: base.loadUnaligned(fromByteOffset: 4 * index, as: UInt32.self))) / divisor
        }
    case .double:
        for index in 0..<count {
            output[index] = Float(Double(bitPattern: UInt64(bigEndian: base.loadUnaligned(fromByteOffset: 8 * index, as: UInt64.self))) / Double(divisor))
        }
    }
}
