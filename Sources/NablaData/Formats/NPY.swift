import Nabla

/// The element types NablaData reads from NPY files, by NumPy's type code (`f4`, `i8`, ...).
public enum NPYDataType: String, CaseIterable, Sendable {
    case float32 = "f4", float64 = "f8"
    case int8 = "i1", uint8 = "u1", int16 = "i2", uint16 = "u2", int32 = "i4", uint32 = "u4", int64 = "i8", uint64 = "u8"
    case bool = "b1"

    public var byteWidth: Int {
        switch self {
        case .int8, .uint8, .bool: 1
        case .int16, .uint16: 2
        case .float32, .int32, .uint32: 4
        case .float64, .int64, .uint64: 8
        }
    }
    public var isInteger: Bool { self != .float32 && self != .float64 }
}

/// An array read from an NPY file: shape, element type and byte order, with the raw elements converted on
/// request into a tensor.
public struct NPYArray: Sendable {
    public let shape: [Int]
    public let dataType: NPYDataType
    /// The elements' byte order (always true for one-byte types).
    public let isLittleEndian: Bool
    /// The name errors use (the file's path).
    public let name: String
    let bytes: [UInt8]
    let payloadOffset: Int

    public var count: Int { shape.reduce(1, *) }

    /// The elements as floats (integers and doubles rounded to the nearest float).
    public func tensor() -> Tensor {
        let result = Tensor.zeros(shape)
        let little = isLittleEndian
        result.withUnsafeMutableBufferPointer { output in
            withPayload { base in
                switch dataType {
                case .float32: forEachElement(UInt32.self, base, count, little) { output[$0] = Float(bitPattern: $1) }
                case .float64: forEachElement(UInt64.self, base, count, little) { output[$0] = Float(Double(bitPattern: $1)) }
                case .int8: forEachElement(Int8.self, base, count, little) { output[$0] = Float($1) }
                case .uint8: forEachElement(UInt8.self, base, count, little) { output[$0] = Float($1) }
                case .bool: forEachElement(UInt8.self, base, count, little) { output[$0] = $1 == 0 ? 0 : 1 }
                case .int16: forEachElement(Int16.self, base, count, little) { output[$0] = Float($1) }
                case .uint16: forEachElement(UInt16.self, base, count, little) { output[$0] = Float($1) }
                case .int32: forEachElement(Int32.self, base, count, little) { output[$0] = Float($1) }
                case .uint32: forEachElement(UInt32.self, base, count, little) { output[$0] = Float($1) }
                case .int64: forEachElement(Int64.self, base, count, little) { output[$0] = Float($1) }
                case .uint64: forEachElement(UInt64.self, base, count, little) { output[$0] = Float($1) }
                }
            }
        }
        return result
    }

    /// The elements as integers. Throws `DataError` for float arrays (use `tensor()`), and for unsigned
    /// 64-bit values beyond `Int.max`.
    public func intTensor() throws -> IntTensor {
        guard dataType.isInteger else {
            throw DataError(.unsupported, file: name, "holds \(dataType) values, not integers; read it with tensor() instead of intTensor()")
        }
        var values = [Int](repeating: 0, count: count)
        var tooLarge: UInt64? = nil
        let little = isLittleEndian
        values.withUnsafeMutableBufferPointer { output in
            withPayload { base in
                switch dataType {
                case .int8: forEachElement(Int8.self, base, count, little) { output[$0] = Int($1) }
                case .uint8, .bool: forEachElement(UInt8.self, base, count, little) { output[$0] = Int($1) }
                case .int16: forEachElement(Int16.self, base, count, little) { output[$0] = Int($1) }
                case .uint16: forEachElement(UInt16.self, base, count, little) { output[$0] = Int($1) }
                case .int32: forEachElement(Int32.self, base, count, little) { output[$0] = Int($1) }
                case .uint32: forEachElement(UInt32.self, base, count, little) { output[$0] = Int($1) }
                case .int64: forEachElement(Int64.self, base, count, little) { output[$0] = Int($1) }
                case .uint64:
                    forEachElement(UInt64.self, base, count, little) { index, value in
                        if value > UInt64(Int.max) { tooLarge = tooLarge ?? value } else { output[index] = Int(value) }
                    }
                case .float32, .float64: break
                }
            }
        }
        if let tooLarge {
            throw DataError(.unsupported, file: name, "holds the unsigned value \(tooLarge), too large for a signed 64-bit integer")
        }
        return IntTensor(values, shape: shape)
    }

    private func withPayload(_ body: (UnsafeRawPointer) -> Void) {
        bytes.withUnsafeBytes { raw in
            guard count > 0, let base = raw.baseAddress else { return }
            body(base + payloadOffset)
        }
    }
}

/// Reads and writes NumPy's `.npy` format (versions 1.0, 2.0 and 3.0): the magic `\x93NUMPY`, a version,
/// the header's length, a Python dictionary literal giving `descr` (type and byte order), `fortran_order`
/// and `shape`, then the elements.
///
/// Reading accepts float32/64, signed and unsigned 8–64-bit integers and booleans in either byte order, in
/// C order; writing produces float32 (`Tensor`) or int64 (`IntTensor`), little-endian, C order, as
/// `numpy.save` does. The byte-level functions (`parse`, `encode`) are for containers such as NPZ.
///
/// ```swift
/// try NPY.write(Tensor([1, 2, 3, 4], shape: [2, 2]), to: "weights.npy")
/// let weights = try NPY.read("weights.npy").tensor()       // 2×2
/// // numpy: np.load("weights.npy") → array([[1., 2.], [3., 4.]], dtype=float32)
/// ```
public enum NPY {
    static let magic: [UInt8] = [0x93] + Array("NUMPY".utf8)

    /// Reads an NPY file (gunzipped first if compressed). Throws `DataError` naming the file.
    public static func read(_ path: String) throws -> NPYArray {
        try parse(FileReading.decompressedBytes(at: path), name: path)
    }

    /// Parses the bytes of an NPY file; `name` labels errors.
    public static func parse(_ bytes: [UInt8], name: String) throws -> NPYArray {
        guard bytes.count >= 10 else {
            if !bytes.isEmpty && !magic.starts(with: bytes) && !bytes.starts(with: magic) {
                throw DataError(.invalidFormat, file: name, "not an NPY file: it does not start with \\x93NUMPY")
            }
            throw DataError(.truncated, file: name, "holds \(bytes.count) bytes, too few for an NPY header (at least 10)")
        }
        guard bytes.starts(with: magic) else {
            throw DataError(.invalidFormat, file: name, "not an NPY file: it does not start with \\x93NUMPY")
        }
        let major = bytes[6], minor = bytes[7]
        guard (1...3).contains(major) && minor == 0 else {
            throw DataError(.unsupported, file: name, "NPY format version \(major).\(minor); versions 1.0, 2.0 and 3.0 are supported")
        }
        // Version 1 stores the header length in 2 bytes, later versions in 4 (little-endian).
        let lengthBytes = major == 1 ? 2 : 4
        guard bytes.count >= 8 + lengthBytes else {
            throw DataError(.truncated, file: name, "the file ends inside the header length")
        }
        let headerLength = (0..<lengthBytes).reduce(0) { $0 | Int(bytes[8 + $1]) << (8 * $1) }
        let headerStart = 8 + lengthBytes
        guard headerStart + headerLength <= bytes.count else {
            throw DataError(.truncated, file: name,
                            "the header declares \(headerLength) bytes but only \(bytes.count - headerStart) follow")
        }
        let header = try NPYHeader.parse(Array(bytes[headerStart..<headerStart + headerLength]), name: name)
        let (dataType, littleEndian) = try decodeDescr(header.descr, name: name)

        var payloadBytes = dataType.byteWidth
        for size in header.shape {
            let (product, overflow) = payloadBytes.multipliedReportingOverflow(by: size)
            guard !overflow else {
                throw DataError(.invalidFormat, file: name, "the header declares an impossible shape \(describeShape(header.shape))")
            }
            payloadBytes = product
        }
        // Element counts and strides multiply every size, zeros aside, so that product must fit too.
        var elements = 1
        for size in header.shape {
            let (product, overflow) = elements.multipliedReportingOverflow(by: max(size, 1))
            guard !overflow else {
                throw DataError(.invalidFormat, file: name, "the header declares an impossible shape \(describeShape(header.shape))")
            }
            elements = product
        }
        if header.fortranOrder && header.shape.filter({ $0 > 1 }).count > 1 {
            throw DataError(.unsupported, file: name,
                            "is stored in Fortran (column-major) order; save it from NumPy with np.save(path, np.ascontiguousarray(array))")
        }
        let payloadStart = headerStart + headerLength
        let available = bytes.count - payloadStart
        guard available == payloadBytes else {
            let declared = "the header declares shape \(describeShape(header.shape)) of \(header.descr) (\(payloadBytes) bytes of data)"
            if available < payloadBytes {
                throw DataError(.truncated, file: name, "\(declared) but only \(available) bytes follow the header; the file is incomplete")
            }
            throw DataError(.invalidFormat, file: name, "\(declared) but \(available) bytes follow the header; sizes disagree")
        }
        return NPYArray(shape: header.shape, dataType: dataType, isLittleEndian: littleEndian, name: name,
                        bytes: bytes, payloadOffset: payloadStart)
    }

    /// The bytes of an NPY file holding `tensor` as little-endian float32 in C order.
    public static func encode(_ tensor: Tensor) -> [UInt8] {
        var bytes = headerBytes(descr: "<f4", shape: tensor.shape)
        let start = bytes.count
        bytes.append(contentsOf: repeatElement(0, count: tensor.count * 4))
        tensor.withUnsafeBufferPointer { values in
            bytes.withUnsafeMutableBytes { raw in
                for (index, value) in values.enumerated() {
                    raw.storeBytes(of: value.bitPattern.littleEndian, toByteOffset: start + 4 * index, as: UInt32.self)
                }
            }
        }
        return bytes
    }

    /// The bytes of an NPY file holding `tensor` as little-endian int64 in C order.
    public static func encode(_ tensor: IntTensor) -> [UInt8] {
        var bytes = headerBytes(descr: "<i8", shape: tensor.shape)
        let start = bytes.count
        bytes.append(contentsOf: repeatElement(0, count: tensor.count * 8))
        bytes.withUnsafeMutableBytes { raw in
            for (index, value) in tensor.scalars.enumerated() {
                raw.storeBytes(of: Int64(value).littleEndian, toByteOffset: start + 8 * index, as: Int64.self)
            }
        }
        return bytes
    }

    /// Writes `tensor` as a float32 NPY file, atomically.
    public static func write(_ tensor: Tensor, to path: String) throws {
        try writeFileAtomically(encode(tensor), to: path)
    }

    /// Writes `tensor` as an int64 NPY file, atomically.
    public static func write(_ tensor: IntTensor, to path: String) throws {
        try writeFileAtomically(encode(tensor), to: path)
    }

    /// Magic, version, length and the header padded with spaces and a newline so the data starts at a
    /// multiple of 64 bytes, as NumPy aligns it. Version 2.0 only when the header outgrows 65,535 bytes.
    static func headerBytes(descr: String, shape: [Int]) -> [UInt8] {
        let literal = Array(NPYHeader(descr: descr, fortranOrder: false, shape: shape).literal.utf8)
        func paddedLength(prefix: Int) -> Int { (prefix + literal.count + 1 + 63) / 64 * 64 - prefix }
        // Version 1.0 stores the header length in two bytes.
        let version1 = paddedLength(prefix: 10) <= 65_535
        let headerLength = paddedLength(prefix: version1 ? 10 : 12)
        var bytes = magic + [version1 ? 1 : 2, 0]
        for byte in 0..<(version1 ? 2 : 4) { bytes.append(UInt8(truncatingIfNeeded: headerLength >> (8 * byte))) }
        bytes += literal
        bytes += repeatElement(UInt8(ascii: " "), count: headerLength - literal.count - 1)
        bytes.append(UInt8(ascii: "\n"))
        return bytes
    }

    /// The type and byte order of a `descr` such as `<f4`, `>i8` or `|u1`.
    private static func decodeDescr(_ descr: String, name: String) throws -> (NPYDataType, littleEndian: Bool) {
        let order = descr.first
        let code = ["<", ">", "|", "="].contains(order) ? String(descr.dropFirst()) : descr
        if code.hasPrefix("O") {
            throw DataError(.unsupported, file: name,
                            "holds Python objects (dtype '\(descr)'), which need pickle and are not read; save a numeric array instead")
        }
        guard let dataType = NPYDataType(rawValue: code) else {
            let supported = NPYDataType.allCases.map(\.rawValue).joined(separator: ", ")
            throw DataError(.unsupported, file: name, "the element type '\(descr)' is not supported; supported: \(supported) (either byte order)")
        }
        // '=' is the writer's native order, which for every machine NumPy runs on today is little-endian.
        return (dataType, order != ">" || dataType.byteWidth == 1)
    }
}

/// Calls `body` with each element's index and value, byte-swapped from the file's order; the type is
/// fixed per call so the loop specialises and stays tight.
@inline(__always)
private func forEachElement<Element: FixedWidthInteger>(_ type: Element.Type, _ base: UnsafeRawPointer, _ count: Int,
                                                        _ littleEndian: Bool, _ body: (Int, Element) -> Void) {
    let width = MemoryLayout<Element>.size
    if littleEndian {
        for index in 0..<count { body(index, Element(littleEndian: base.loadUnaligned(fromByteOffset: index * width, as: Element.self))) }
    } else {
        for index in 0..<count { body(index, Element(bigEndian: base.loadUnaligned(fromByteOffset: index * width, as: Element.self))) }
    }
}
