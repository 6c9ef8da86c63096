import Nabla

/// Reads and writes NumPy's `.npz` archives: a ZIP file with one NPY file per array, named `NAME.npy`,
/// stored (`numpy.savez`) or deflated (`numpy.savez_compressed`).
///
/// Reading accepts what NumPy writes (and any ZIP of NPY members without ZIP64 or encryption); each
/// member is checked against its CRC-32, and every NPY member is validated as `NPY.parse` does. Writing
/// produces float32 (`Tensor`) and int64 (`IntTensor`) members that `numpy.load` reads.
///
/// ```swift
/// try NPZ.write(["weights": Tensor([1, 2, 3, 4], shape: [2, 2])], integers: ["labels": IntTensor([0, 1])],
///               to: "arrays.npz", compressed: true)
/// let archive = try NPZ.read("arrays.npz")
/// let weights = try archive.array("weights").tensor()       // 2×2
/// // Python: np.load("arrays.npz")["labels"] → array([0, 1])
/// ```
public enum NPZ {
    /// Reads an NPZ archive. Throws `DataError` naming the file (and the member, for member errors).
    public static func read(_ path: String) throws -> NPZArchive {
        try parse(FileReading.bytes(at: path), name: path)
    }

    /// Parses the bytes of an NPZ archive; `name` labels errors.
    public static func parse(_ bytes: [UInt8], name: String) throws -> NPZArchive {
        var arrays: [(name: String, array: NPYArray)] = []
        var names = Set<String>()
        for member in try ZipArchive.members(of: bytes, name: name) {
            let contents = try ZipArchive.contents(of: member, in: bytes, name: name)
            let arrayName = member.name.hasSuffix(".npy") ? String(member.name.dropLast(4)) : member.name
            guard names.insert(arrayName).inserted else {
                throw DataError(.invalidFormat, file: name, "holds two arrays named '\(arrayName)'")
            }
            arrays.append((arrayName, try NPY.parse(contents, name: "\(name): member '\(member.name)'")))
        }
        return NPZArchive(name: name, arrays: arrays)
    }

    /// The bytes of an NPZ archive holding each array as `NAME.npy`, in the order given (NPY file
    /// contents, e.g. from `NPY.encode`), deflated when `compressed`.
    public static func encode(_ members: [(name: String, npyBytes: [UInt8])], compressed: Bool = false) throws -> [UInt8] {
        var seen = Set<String>()
        for member in members where !seen.insert(member.name).inserted {
            throw DataError(.invalidRequest, "the array name '\(member.name)' is given twice")
        }
        return try ZipArchive.encode(members.map { ($0.name + ".npy", $0.npyBytes) }, compressed: compressed)
    }

    /// Writes float tensors (float32) and integer tensors (int64) as an NPZ archive, atomically; members
    /// are sorted by name. A name may not be used by both kinds.
    public static func write(_ tensors: [String: Tensor], integers: [String: IntTensor] = [:], to path: String,
                             compressed: Bool = false) throws {
        var members = tensors.map { (name: $0.key, npyBytes: NPY.encode($0.value)) }
        members += integers.map { (name: $0.key, npyBytes: NPY.encode($0.value)) }
        members.sort { Array($0.name.utf8).lexicographicallyPrecedes(Array($1.name.utf8)) }
        let bytes: [UInt8]
        do {
            bytes = try encode(members, compressed: compressed)
        } catch let error as DataError {
            throw DataError(error.kind, file: path, error.message)
        }
        try writeFileAtomically(bytes, to: path)
    }
}

/// The arrays of an NPZ archive, in archive order.
public struct NPZArchive: Sendable {
    /// The name errors use (the file's path).
    public let name: String
    /// Each array with its name (the member's name without `.npy`).
    public let arrays: [(name: String, array: NPYArray)]

    /// The arrays' names in archive order.
    public var names: [String] { arrays.map(\.name) }

    /// The array called `arrayName`, or a `DataError` listing the names there are.
    public func array(_ arrayName: String) throws -> NPYArray {
        guard let found = arrays.first(where: { $0.name == arrayName }) else {
            throw DataError(.invalidRequest, file: name, "holds no array named '\(arrayName)'; it holds: \(names.joined(separator: ", "))")
        }
        return found.array
    }

    public subscript(arrayName: String) -> NPYArray? { arrays.first { $0.name == arrayName }?.array }
}
