import Foundation

/// A float array read from a NumPy `.npy` file: `values` row-major in `shape`.
struct NumPyArray {
    let shape: [Int]
    let values: [Float]
}

/// Reads the test-sample images of a run folder (`samples.npy`).
///
/// Private to NablaViz on purpose: the report must not wait for NablaData's loaders, and it only needs
/// the one layout the training side writes. Accepts NPY versions 1–3, little-endian float32 (`<f4`) or
/// float64 (`<f8`, converted), C order. Anything else throws a `RunFileError` naming the file.
enum NumPyArrayReader {
    static func read(from url: URL) throws -> NumPyArray {
        let data: Data
        do {
            data = try Data(contentsOf: url)
        } catch {
            throw RunFileError(file: url.lastPathComponent, problem: "cannot be read (\(error.localizedDescription))")
        }
        return try decode([UInt8](data), name: url.lastPathComponent)
    }

    static func decode(_ bytes: [UInt8], name: String) throws -> NumPyArray {
        func fail(_ problem: String) -> RunFileError { RunFileError(file: name, problem: problem) }
        let magic: [UInt8] = [0x93] + Array("NUMPY".utf8)
        guard bytes.count >= 10, Array(bytes[0..<6]) == magic else { throw fail("is not a NumPy .npy file (magic bytes missing)") }
        let major = bytes[6]
        let headerStart: Int, headerLength: Int
        switch major {
        case 1:
            headerStart = 10
            headerLength = Int(bytes[8]) | Int(bytes[9]) << 8
        case 2, 3:
            guard bytes.count >= 12 else { throw fail("is truncated inside its header") }
            headerStart = 12
            headerLength = Int(bytes[8]) | Int(bytes[9]) << 8 | Int(bytes[10]) << 16 | Int(bytes[11]) << 24
        default:
            throw fail("uses .npy format version \(major), which this reader does not know")
        }
        guard headerLength <= bytes.count - headerStart else { throw fail("is truncated inside its header") }
        let header = String(decoding: bytes[headerStart..<(headerStart + headerLength)], as: UTF8.self)

        guard let descriptor = quotedValue(of: "descr", in: header) else { throw fail("has no 'descr' in its header") }
        let itemSize: Int
        switch descriptor {
        case "<f4": itemSize = 4
        case "<f8": itemSize = 8
        default: throw fail("holds '\(descriptor)' values; expected little-endian float32 ('<f4')")
        }
        guard !header.contains("'fortran_order': True") else { throw fail("is in Fortran order; expected C order") }
        guard let shape = shape(in: header) else { throw fail("has no readable 'shape' in its header") }

        var count = 1
        for dimension in shape {
            let (product, overflow) = count.multipliedReportingOverflow(by: dimension)
            guard !overflow, dimension >= 0 else { throw fail("has an impossible shape \(shape)") }
            count = product
        }
        let dataStart = headerStart + headerLength
        let (needed, overflow) = count.multipliedReportingOverflow(by: itemSize)
        guard !overflow, needed == bytes.count - dataStart else {
            throw fail("should hold \(count) values of \(itemSize) bytes for shape \(shape) but has \(bytes.count - dataStart) bytes of data")
        }
        var values = [Float](repeating: 0, count: count)
        bytes.withUnsafeBytes { raw in
            for index in 0..<count {
                let offset = dataStart + index * itemSize
                if itemSize == 4 {
                    values[index] = Float(bitPattern: UInt32(littleEndian: raw.loadUnaligned(fromByteOffset: offset, as: UInt32.self)))
                } else {
                    values[index] = Float(Double(bitPattern: UInt64(littleEndian: raw.loadUnaligned(fromByteOffset: offset, as: UInt64.self))))
                }
            }
        }
        return NumPyArray(shape: shape, values: values)
    }

    /// The text of `'key': 'value'` in the header's Python dictionary literal.
    private static func quotedValue(of key: String, in header: String) -> String? {
        guard let keyRange = header.range(of: "'\(key)'") else { return nil }
        let rest = header[keyRange.upperBound...]
        guard let open = rest.firstIndex(where: { $0 == "'" || $0 == "\"" }) else { return nil }
        let afterOpen = rest.index(after: open)
        guard let close = rest[afterOpen...].firstIndex(of: rest[open]) else { return nil }
        return String(rest[afterOpen..<close])
    }

    /// The tuple after `'shape':`, e.g. `(16, 1, 28, 28)` or `(5,)`.
    private static func shape(in header: String) -> [Int]? {
        guard let keyRange = header.range(of: "'shape'") else { return nil }
        let rest = header[keyRange.upperBound...]
        guard let open = rest.firstIndex(of: "("), let close = rest[open...].firstIndex(of: ")") else { return nil }
        let parts = rest[rest.index(after: open)..<close].split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }
            .filter { !$0.isEmpty }
        let dimensions = parts.compactMap { Int($0) }
        return dimensions.count == parts.count ? dimensions : nil
    }
}
