import Foundation
import Nabla
@testable import NablaData
import Testing

@Suite struct IDXTests {
    @Test(arguments: IDXDataType.allCases)
    func everyTypeRoundTripsPlainAndCompressed(_ dataType: IDXDataType) throws {
        let folder = TemporaryFolder()
        let values: [Double] = switch dataType {
        case .unsignedByte: [0, 1, 127, 128, 254, 255]
        case .signedByte: [-128, -1, 0, 1, 100, 127]
        case .short: [-32768, -2, 0, 300, 4097, 32767]
        case .int: [-2_147_483_648, -70000, 0, 1, 65537, 2_147_483_647]
        case .float: [-1.5, 0, 0.25, 3e-5, 1e20, -7]
        case .double: [-1.5, 0, 0.1, 3e-300, 1e20, -7]
        }
        for name in ["array.idx", "array.idx.gz"] {
            let path = folder.file(name)
            try IDX.write(values, shape: [2, 3], as: dataType, to: path)
            #expect(try FileReading.bytes(at: path).starts(with: [0x1F, 0x8B]) == name.hasSuffix(".gz"))
            let array = try IDX.read(path, expecting: dataType, rank: 2)
            #expect(array.shape == [2, 3])
            #expect(array.dataType == dataType)
            #expect(array.tensor().scalars == values.map { Float($0) }, "\(dataType) \(name)")
            if dataType.isInteger {
                #expect(try array.intTensor() == IntTensor(values.map { Int($0) }, shape: [2, 3]))
            } else {
                expectDataError(.unsupported, containing: ["tensor()"]) { try array.intTensor() }
            }
        }
    }

    @Test func bytesDivideExactlyAsTorchvisionDoes() throws {
        let array = try IDX.parse(IDX.encode((0..<256).map(Double.init), shape: [1, 16, 16], as: .unsignedByte), name: "pixels")
        let scaled = array.tensor(dividingBy: 255).scalars
        #expect(scaled == (0..<256).map { Float($0) / 255 })
        #expect(scaled.first == 0 && scaled.last == 1)
    }

    @Test func theHeaderIsBigEndianWithTheDocumentedMagic() {
        let bytes = IDX.encode([1, 2, 3, 4, 5, 6], shape: [3, 2], as: .unsignedByte)
        #expect(Array(bytes.prefix(12)) == [0, 0, 8, 2, 0, 0, 0, 3, 0, 0, 0, 2])
        #expect(IDX.magicNumber(.unsignedByte, rank: 3) == 0x0000_0803)
        #expect(IDX.magicNumber(.unsignedByte, rank: 1) == 0x0000_0801)
        // Rank 0: a single element after the 4-byte magic.
        #expect((try? IDX.parse(IDX.encode([7], shape: [], as: .int), name: "scalar").tensor().scalars) == [7])
    }

    @Test func truncationNamesTheFileAndBothSizes() throws {
        let folder = TemporaryFolder()
        let full = IDX.encode([Double](repeating: 9, count: 3 * 4 * 5), shape: [3, 4, 5], as: .unsignedByte)
        let plain = folder.write("train-images-idx3-ubyte", Array(full.prefix(30)))
        expectDataError(.truncated, containing: [plain, "header declares 3 items of 4×5 unsigned bytes (76 bytes with the header)",
                                                 "holds 30 bytes"]) { try IDX.read(plain) }
        // The same through gzip: a complete gzip stream of an incomplete file.
        let packed = folder.write("train-images-idx3-ubyte.gz", Gzip.compress(Array(full.prefix(40))))
        expectDataError(.truncated, containing: [packed, "holds 40 bytes"]) { try IDX.read(packed) }
        // And a gzip stream cut short.
        let cut = folder.write("cut.gz", Array(Gzip.compress(full).dropLast(10)))
        expectDataError(.truncated, containing: [cut, "gzip stream ends"]) { try IDX.read(cut) }
        // The header itself cut short.
        expectDataError(.truncated, containing: ["needs 16 bytes"]) { try IDX.parse(Array(full.prefix(9)), name: "short") }
        expectDataError(.truncated, containing: ["too few"]) { try IDX.parse([0, 0], name: "tiny") }
    }

    @Test func wrongMagicNumbersAreExplained() {
        let labels = IDX.encode([1, 2, 3], shape: [3], as: .unsignedByte)
        expectDataError(.invalidFormat, containing: ["labels.idx", "wrong magic number 0x00000801", "expected 0x00000803"]) {
            try IDX.parse(labels, name: "labels.idx", expecting: .unsignedByte, rank: 3)
        }
        expectDataError(.invalidFormat, containing: ["holds 32-bit floats", "unsigned bytes were expected"]) {
            try IDX.parse(IDX.encode([1], shape: [1], as: .float), name: "f", expecting: .unsignedByte)
        }
        expectDataError(.invalidFormat, containing: ["has rank 1", "rank 3 was expected"]) { try IDX.parse(labels, name: "l", rank: 3) }
        expectDataError(.invalidFormat, containing: ["not an IDX file", "0x89504E47"]) {
            try IDX.parse([0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A], name: "picture.png")
        }
        expectDataError(.invalidFormat, containing: ["not an IDX file", "0x00000A01"]) { try IDX.parse([0, 0, 0x0A, 1, 0, 0, 0, 0], name: "unknown type") }
    }

    @Test func sizesThatDisagreeAreReported() {
        let bytes = IDX.encode([1, 2, 3, 4], shape: [2, 2], as: .short)
        expectDataError(.invalidFormat, containing: ["2 more than declared", "sizes disagree"]) { try IDX.parse(bytes + [0, 0], name: "long") }
        // A header that claims 4 billion squared elements must not allocate or overflow.
        var huge = IDX.encode([], shape: [0, 0, 0], as: .double)
        for offset in 4..<16 { huge[offset] = 0xFF }
        expectDataError(.invalidFormat, containing: ["impossible size"]) { try IDX.parse(huge, name: "huge") }
        var large = IDX.encode([], shape: [0, 0], as: .unsignedByte)
        large.replaceSubrange(4..<12, with: [0, 0, 0xEA, 0x60, 0, 0, 0x03, 0x10])  // 60000×784
        expectDataError(.truncated, containing: ["60000 items of 784"]) { try IDX.parse(large, name: "large") }
    }

    @Test func corruptGzipIsReportedByName() {
        let folder = TemporaryFolder()
        var packed = Gzip.compress(IDX.encode((0..<4000).map { Double($0 % 200) }, shape: [4000], as: .unsignedByte))
        packed[packed.count / 2] ^= 0xFF
        packed[packed.count / 2 + 1] ^= 0x3C
        let path = folder.write("labels.gz", packed)
        expectDataError(.corrupt, containing: [path]) { try IDX.read(path) }
    }

    /// Cut anywhere, an IDX file must throw; with header bytes changed it must throw or parse consistently.
    @Test func randomDamageThrowsAndNeverCrashes() {
        let generator = RandomGenerator(seed: 77)
        let file = IDX.encode((0..<120).map { Double($0) }, shape: [2, 3, 4, 5], as: .unsignedByte)
        for _ in 0..<200 {
            let cut = generator.integer(in: 0..<file.count)
            #expect(throws: DataError.self) { try IDX.parse(Array(file.prefix(cut)), name: "cut") }
            var damaged = file
            damaged[generator.integer(in: 0..<20)] = UInt8(truncatingIfNeeded: generator.next())
            if let array = try? IDX.parse(damaged, name: "damaged") {
                #expect(4 + 4 * array.shape.count + array.count * array.dataType.byteWidth == damaged.count)
                _ = array.tensor()
                _ = try? array.intTensor()
            }
        }
    }
}
