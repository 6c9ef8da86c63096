import Nabla
@testable import NablaData
import Testing

@Suite struct NPZTests {
    @Test(arguments: [false, true]) func roundTripsStoredAndDeflated(compressed: Bool) throws {
        let folder = TemporaryFolder()
        let path = folder.file("arrays.npz")
        let weights = Tensor((0..<600).map { Float($0 % 7) * 0.5 }, shape: [20, 30])
        try NPZ.write(["weights": weights, "scalar": Tensor(scalar: -1.25), "empty": Tensor.zeros([0])],
                      integers: ["labels": IntTensor([3, -1, 1 << 40])], to: path, compressed: compressed)
        let archive = try NPZ.read(path)
        #expect(archive.names == ["empty", "labels", "scalar", "weights"])
        #expect(try archive.array("weights").tensor().scalars == weights.scalars)
        #expect(try archive.array("weights").shape == [20, 30])
        #expect(try archive.array("labels").intTensor().scalars == [3, -1, 1 << 40])
        #expect(try archive.array("scalar").tensor().item == -1.25)
        #expect(try archive.array("empty").shape == [0])
        #expect(archive["missing"] == nil)
        expectDataError(.invalidRequest, containing: ["'missing'", "weights"]) { try archive.array("missing") }
        // Deflate shrinks the repetitive array; stored keeps it whole.
        let size = try FileReading.bytes(at: path).count
        #expect(compressed ? size < 1000 : size > 2400)
    }

    @Test func readsNumPysZip64ExtraFieldsInLocalHeaders() throws {
        // numpy.savez writes every member with force_zip64=True: the local header carries a ZIP64 extra
        // field (id 1) although the sizes are small. Build such an archive by hand and read it.
        let payload = NPY.encode(Tensor([1, 2, 3]))
        let crc = ZipArchive.crc32(of: payload)
        func le16(_ value: Int) -> [UInt8] { [UInt8(value & 0xFF), UInt8(value >> 8 & 0xFF)] }
        func le32(_ value: Int) -> [UInt8] { (0..<4).map { UInt8(value >> (8 * $0) & 0xFF) } }
        let name = Array("x.npy".utf8)
        let extra = le16(1) + le16(16) + [UInt8](repeating: 0, count: 16)
        var archive = le32(0x0403_4B50) + le16(45) + le16(0) + le16(0) + le16(0) + le16(0x21) + le32(Int(crc))
        archive += le32(payload.count) + le32(payload.count) + le16(name.count) + le16(extra.count) + name + extra + payload
        let directoryOffset = archive.count
        var directory = le32(0x0201_4B50) + le16(45) + le16(45) + le16(0) + le16(0) + le16(0) + le16(0x21) + le32(Int(crc))
        directory += le32(payload.count) + le32(payload.count) + le16(name.count) + le16(0) + le16(0) + le16(0) + le16(0)
        directory += le32(0) + le32(0) + name
        archive += directory
        archive += le32(0x0605_4B50) + le16(0) + le16(0) + le16(1) + le16(1) + le32(directory.count) + le32(directoryOffset) + le16(0)
        let parsed = try NPZ.parse(archive, name: "numpy.npz")
        #expect(parsed.names == ["x"])
        #expect(try parsed.array("x").tensor().scalars == [1, 2, 3])
    }

    @Test func refusesDamagedAndUnsupportedArchives() throws {
        let members = [(name: "a", npyBytes: NPY.encode(Tensor([1, 2, 3, 4])))]
        let stored = try NPZ.encode(members)
        let deflated = try NPZ.encode(members, compressed: true)
        func parse(_ bytes: [UInt8]) throws -> NPZArchive { try NPZ.parse(bytes, name: "bad.npz") }

        expectDataError(.truncated, containing: ["bad.npz", "too few"]) { try parse([0x50, 0x4B]) }
        expectDataError(.truncated, containing: ["end-of-directory"]) { try parse(Array(stored.dropLast(30))) }
        expectDataError(.invalidFormat, containing: ["end-of-central-directory"]) { try parse([UInt8](repeating: 7, count: 100)) }
        // A flipped data byte fails the CRC (stored) or the inflate / CRC (deflated).
        var flipped = stored
        flipped[60] ^= 0xFF
        expectDataError(.corrupt, containing: ["member 'a.npy'", "CRC-32"]) { try parse(flipped) }
        var flippedDeflate = deflated
        flippedDeflate[40] ^= 0x55
        #expect(throws: DataError.self) { try parse(flippedDeflate) }
        // ZIP64: 0xFFFF members in the end record, or a ZIP64 locator before it.
        var zip64 = stored
        zip64[zip64.count - 12] = 0xFF; zip64[zip64.count - 11] = 0xFF
        expectDataError(.unsupported, containing: ["ZIP64"]) { try parse(zip64) }
        let end = stored.count - 22
        let locator = Array(stored[..<end]) + [0x50, 0x4B, 0x06, 0x07] + [UInt8](repeating: 0, count: 16) + stored[end...]
        expectDataError(.unsupported, containing: ["ZIP64"]) { try parse(locator) }
        // Encryption and other methods are named.
        let directory = end - 46 - 5
        var encrypted = stored
        encrypted[directory + 8] |= 1
        expectDataError(.unsupported, containing: ["encrypted"]) { try parse(encrypted) }
        var bzip = stored
        bzip[directory + 10] = 12
        expectDataError(.unsupported, containing: ["method 12"]) { try parse(bzip) }
        // A member claiming to inflate far beyond deflate's ratio is refused before allocating.
        var bomb = deflated
        let deflatedDirectory = deflated.count - 22 - 46 - 5
        for (offset, byte) in [UInt8(0xFF), 0xFF, 0xFF, 0x7F].enumerated() { bomb[deflatedDirectory + 24 + offset] = byte }
        expectDataError(.invalidFormat, containing: ["more than deflate can compress"]) { try parse(bomb) }
        // Members that are not NPY files are reported with the member's name.
        let notNPY = try ZipArchive.encode([(name: "notes.txt", bytes: Array("hello".utf8))], compressed: false)
        expectDataError(.invalidFormat, containing: ["member 'notes.txt'"]) { try parse(notNPY) }
        expectDataError(.invalidRequest, containing: ["'a'"]) { try NPZ.encode(members + members) }
    }
}
