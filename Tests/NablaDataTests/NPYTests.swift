import Nabla
@testable import NablaData
import Testing

@Suite struct NPYTests {
    @Test func readsWhatNumPyWrites() throws {
        func floats(_ bytes: [UInt8]) throws -> (shape: [Int], values: [Float]) {
            let array = try NPY.parse(bytes, name: "numpy.npy")
            return (array.shape, array.tensor().scalars)
        }
        func integers(_ bytes: [UInt8]) throws -> (shape: [Int], values: [Int]) {
            let array = try NPY.parse(bytes, name: "numpy.npy")
            return (array.shape, try array.intTensor().scalars)
        }
        // np.arange(6, dtype='<f4').reshape(2, 3) - 2.5
        #expect(try floats(NumPyFiles.float32_2x3) == ([2, 3], [-2.5, -1.5, -0.5, 0.5, 1.5, 2.5]))
        #expect(try floats(NumPyFiles.float64_big) == ([3], [1.5, -2.25, 1e10]))
        #expect(try integers(NumPyFiles.int16_big) == ([2, 2], [-300, 7, 32767, -32768]))
        #expect(try integers(NumPyFiles.int8) == ([3], [-128, 0, 127]))
        #expect(try integers(NumPyFiles.uint8) == ([3], [0, 200, 255]))
        #expect(try integers(NumPyFiles.int32) == ([2], [-7, 123_456_789]))
        #expect(try integers(NumPyFiles.int64_big) == ([2], [-(1 << 40), 5]))
        #expect(try integers(NumPyFiles.uint64) == ([2], [1 << 40, 3]))
        #expect(try integers(NumPyFiles.uint16_big) == ([2], [65535, 1]))
        #expect(try integers(NumPyFiles.uint32) == ([2], [4_000_000_000, 1]))
        #expect(try integers(NumPyFiles.bool) == ([3], [1, 0, 1]))
        #expect(try floats(NumPyFiles.int16_big).values == [-300, 7, 32767, -32768])
        #expect(try floats(NumPyFiles.scalar_f4) == ([], [3.5]))
        #expect(try floats(NumPyFiles.empty_f4) == ([0, 4], []))
        #expect(try floats(NumPyFiles.v2_float32) == ([2], [1, 2]))
        #expect(try integers(NumPyFiles.v3_int64) == ([1, 3], [1, 2, 3]))
        // A 1-D array is the same in either order, so its Fortran flag is harmless.
        #expect(try floats(NumPyFiles.fortran_1d) == ([3], [0, 1, 2]))
        #expect(try NPY.parse(NumPyFiles.float64_big, name: "b").isLittleEndian == false)
    }

    @Test func writesWhatNumPyWrites() {
        // Byte for byte what np.save writes for the same float32 array: same header, padding and data.
        #expect(NPY.encode(Tensor([-2.5, -1.5, -0.5, 0.5, 1.5, 2.5], shape: [2, 3])) == NumPyFiles.float32_2x3)
        let header = NPY.headerBytes(descr: "<i8", shape: [7])
        #expect(header.count % 64 == 0 && header.last == UInt8(ascii: "\n"))
        #expect(String(decoding: header.dropFirst(10), as: UTF8.self).hasPrefix("{'descr': '<i8', 'fortran_order': False, 'shape': (7,), }"))
    }

    @Test func tensorsAndIntegersRoundTripThroughFiles() throws {
        let folder = TemporaryFolder()
        let generator = RandomGenerator(seed: 5)
        for shape in [[], [0], [5], [2, 3, 4], [1, 0, 2]] {
            let tensor = generator.normal(shape)
            let path = folder.file("t.npy")
            try NPY.write(tensor, to: path)
            let back = try NPY.read(path)
            #expect(back.shape == shape && back.dataType == .float32)
            #expect(back.tensor().scalars == tensor.scalars)
            let integers = IntTensor((0..<shape.reduce(1, *)).map { $0 * 1_000_003 - 7 }, shape: shape)
            try NPY.write(integers, to: path)
            #expect(try NPY.read(path).intTensor() == integers)
        }
        // Views are written in their logical (C) order.
        let transposed = Tensor([1, 2, 3, 4, 5, 6], shape: [2, 3]).transposed()
        #expect(try NPY.parse(NPY.encode(transposed), name: "v").tensor().scalars == [1, 4, 2, 5, 3, 6])
        #expect(folder.contents == ["t.npy"])
    }

    @Test func unsupportedContentsAreExplained() throws {
        expectDataError(.unsupported, containing: ["Fortran", "np.ascontiguousarray"]) { try NPY.parse(NumPyFiles.fortran_f4, name: "f.npy") }
        expectDataError(.unsupported, containing: ["Python objects", "'|O'"]) { try NPY.parse(NumPyFiles.object, name: "o.npy") }
        expectDataError(.unsupported, containing: ["structured array"]) { try NPY.parse(NumPyFiles.structured, name: "s.npy") }
        expectDataError(.unsupported, containing: ["'<c8'", "supported: f4"]) { try NPY.parse(NumPyFiles.complex, name: "c.npy") }
        expectDataError(.unsupported, containing: ["'<f2'"]) { try NPY.parse(NumPyFiles.float16, name: "h.npy") }
        expectDataError(.unsupported, containing: ["tensor()"]) { try NPY.parse(NumPyFiles.float32_2x3, name: "x.npy").intTensor() }
        expectDataError(.unsupported, containing: ["9223372036854775813"]) { try NPY.parse(NumPyFiles.too_big_u64, name: "u.npy").intTensor() }
        var version = NumPyFiles.float32_2x3
        version[6] = 4
        expectDataError(.unsupported, containing: ["version 4.0"]) { try NPY.parse(version, name: "v.npy") }
    }

    @Test func truncationAndLyingHeadersAreReported() throws {
        let file = NumPyFiles.float32_2x3  // 128 header bytes + 24 data bytes
        expectDataError(.truncated, containing: ["cut.npy", "shape 2×3 of <f4 (24 bytes of data)", "only 20 bytes follow"]) {
            try NPY.parse(Array(file.dropLast(4)), name: "cut.npy")
        }
        expectDataError(.invalidFormat, containing: ["28 bytes follow", "sizes disagree"]) { try NPY.parse(file + [0, 0, 0, 0], name: "long.npy") }
        expectDataError(.truncated, containing: ["declares 118 bytes"]) { try NPY.parse(Array(file.prefix(60)), name: "h.npy") }
        expectDataError(.truncated, containing: ["too few"]) { try NPY.parse(Array(file.prefix(7)), name: "tiny.npy") }
        expectDataError(.invalidFormat, containing: ["not an NPY file"]) { try NPY.parse(Array("PK\u{3}\u{4} zip, not npy".utf8), name: "z.npy") }
        // A shape whose byte count overflows must be refused before any allocation.
        let huge = try headerFile("{'descr': '<f8', 'fortran_order': False, 'shape': (4294967296, 4294967296, 4294967296), }")
        expectDataError(.invalidFormat, containing: ["impossible shape"]) { try NPY.parse(huge, name: "huge.npy") }
        let lying = try headerFile("{'descr': '<f4', 'fortran_order': False, 'shape': (60000, 784), }")
        expectDataError(.truncated, containing: ["188160000 bytes of data"]) { try NPY.parse(lying, name: "lie.npy") }
    }

    @Test func malformedHeadersAreReported() throws {
        let cases: [(String, String)] = [
            ("{'descr': '<f4', 'shape': (1,), }", "'fortran_order' is missing"),
            ("{'descr': '<f4', 'fortran_order': False, 'shape': (1,), 'extra': 1}", "expected a string, True, False or a tuple"),
            ("{'descr': '<f4', 'fortran_order': False, 'shape': (1,), 'extra': 'x'}", "unknown key 'extra'"),
            ("{'descr': '<f4', 'fortran_order': False, 'shape': (-1,), }", "non-negative integer"),
            ("{'descr': '<f4', 'fortran_order': False, 'shape': (1,) ", "expected '}'"),
            ("{'descr' '<f4', 'fortran_order': False, 'shape': (1,), }", "expected ':'"),
            ("{'descr': '<f4, 'fortran_order': False, 'shape': (1,), }", "expected '}'"),
            ("{'descr': [('x', '<f4'), 'fortran_order': False, 'shape': (1,), }", "a list is not closed"),
            ("{'descr': 4, 'fortran_order': False, 'shape': (1,), }", "expected a string"),
            ("{'descr': '<f4', 'descr': '<f4', 'fortran_order': False, 'shape': (1,), }", "appears twice"),
            ("{'descr': '<f4', 'fortran_order': Maybe, 'shape': (1,), }", "expected a string, True, False"),
            ("{'descr': '<f4', 'fortran_order': False, 'shape': (1 2), }", "expected ',' or ')'"),
            ("{'descr': '<f4', 'fortran_order': False, 'shape': (1,), } trailing", "unexpected text"),
        ]
        for (header, fragment) in cases {
            expectDataError(.invalidFormat, containing: ["bad.npy", fragment]) { try NPY.parse(try headerFile(header, dataBytes: 4), name: "bad.npy") }
        }
        // Python 2's long integers (`3L`) still read.
        #expect(try NPY.parse(headerFile("{'descr': '<f4', 'fortran_order': False, 'shape': (1L,), }", dataBytes: 4), name: "p2").shape == [1])
    }

    /// Hundreds of damaged copies of real files: cut anywhere, or with bytes changed anywhere. Every cut must
    /// throw; a changed byte may still leave a valid file (e.g. in the data), but must never crash, and
    /// whatever parses must be self-consistent.
    @Test func randomDamageThrowsAndNeverCrashes() {
        let generator = RandomGenerator(seed: 2024)
        let files = [NumPyFiles.float32_2x3, NumPyFiles.int16_big, NumPyFiles.v3_int64, NumPyFiles.bool, NumPyFiles.float64_big]
        var thrown = 0, parsed = 0
        for trial in 0..<400 {
            let original = files[trial % files.count]
            let cut = generator.integer(in: 0..<original.count)
            do {
                _ = try NPY.parse(Array(original.prefix(cut)), name: "cut.npy")
                Issue.record("a file cut to \(cut) of \(original.count) bytes parsed")
            } catch is DataError { thrown += 1 } catch { Issue.record("unexpected error \(error)") }
        }
        for trial in 0..<600 {
            var damaged = files[trial % files.count]
            // Mostly in the header, where damage matters, sometimes anywhere.
            let region = trial % 4 == 0 ? damaged.count : min(damaged.count, 128)
            for _ in 0..<(1 + generator.integer(in: 0..<3)) {
                damaged[generator.integer(in: 0..<region)] = UInt8(truncatingIfNeeded: generator.next())
            }
            do {
                let array = try NPY.parse(damaged, name: "flipped.npy")
                parsed += 1
                #expect(array.payloadOffset + array.count * array.dataType.byteWidth == damaged.count)
                _ = array.tensor()
                _ = try? array.intTensor()
            } catch is DataError { thrown += 1 } catch { Issue.record("unexpected error \(error)") }
        }
        #expect(thrown >= 700)
        _ = parsed
    }

    /// A version 1.0 file with `header` (padded as NumPy pads) followed by `dataBytes` zero bytes.
    func headerFile(_ header: String, dataBytes: Int = 0) throws -> [UInt8] {
        var literal = Array(header.utf8)
        while (10 + literal.count + 1) % 64 != 0 { literal.append(UInt8(ascii: " ")) }
        literal.append(UInt8(ascii: "\n"))
        return NPY.magic + [1, 0, UInt8(literal.count & 0xFF), UInt8(literal.count >> 8)] + literal + [UInt8](repeating: 0, count: dataBytes)
    }
}
