import Foundation
import Nabla
@testable import NablaData
import Testing

@Suite struct GzipAndFileTests {
    /// Bytes with some structure, so that deflate compresses them and a damaged stream is noticed.
    func sampleBytes(_ count: Int, seed: UInt64 = 1) -> [UInt8] {
        let generator = RandomGenerator(seed: seed)
        return (0..<count).map { index in UInt8(truncatingIfNeeded: index / 7 + Int(generator.next() % 4)) }
    }

    @Test func compressThenDecompressGivesTheSameBytes() throws {
        for count in [0, 1, 1000, 300_000] {
            let original = sampleBytes(count)
            let packed = Gzip.compress(original)
            #expect(Gzip.isCompressed(packed))
            #expect(try Gzip.decompress(packed, name: "sample.gz") == original, "\(count) bytes")
        }
    }

    @Test func concatenatedMembersAreJoinedAsGunzipDoes() throws {
        let first = sampleBytes(5000, seed: 1), second = sampleBytes(3000, seed: 2)
        let joined = Gzip.compress(first) + Gzip.compress(second)
        #expect(try Gzip.decompress(joined, name: "joined.gz") == first + second)
        // Zero padding after the last member (as some tape and block tools leave) is tolerated.
        #expect(try Gzip.decompress(Gzip.compress(first) + [0, 0, 0], name: "padded.gz") == first)
    }

    @Test func truncatedStreamsAreReportedByName() {
        let packed = Gzip.compress(sampleBytes(50_000))
        for cut in [0, 5, 11, packed.count / 3, packed.count / 2, packed.count - 9, packed.count - 1] {
            let error = expectDataError(.truncated, containing: ["cut.gz"]) {
                try Gzip.decompress(Array(packed.prefix(cut)), name: "cut.gz")
            }
            if error == nil { Issue.record("cut at \(cut) of \(packed.count)") }
        }
    }

    @Test func corruptStreamsAreReportedByName() {
        let original = sampleBytes(50_000)
        var damaged = Gzip.compress(original)
        for offset in stride(from: 40, to: damaged.count - 20, by: max(1, damaged.count / 5)) { damaged[offset] ^= 0x5A }
        expectDataError(.corrupt, containing: ["broken.gz", "corrupt gzip data"]) { try Gzip.decompress(damaged, name: "broken.gz") }
        // A wrong checksum alone (the data intact) is caught too.
        var badChecksum = Gzip.compress(original)
        badChecksum[badChecksum.count - 6] ^= 0xFF
        expectDataError(.corrupt, containing: ["check"]) { try Gzip.decompress(badChecksum, name: "checksum.gz") }
        // Unknown bytes after the stream are not silently dropped.
        expectDataError(.corrupt, containing: ["follow the end"]) { try Gzip.decompress(Gzip.compress(original) + [1, 2, 3], name: "tail.gz") }
    }

    @Test func aDecompressionLimitStopsBombs() throws {
        let zeros = [UInt8](repeating: 0, count: 2_000_000)
        let packed = Gzip.compress(zeros)
        #expect(packed.count < 10_000)
        expectDataError(.invalidRequest, containing: ["1000000 bytes"]) { try Gzip.decompress(packed, name: "bomb.gz", maximumBytes: 1_000_000) }
        #expect(try Gzip.decompress(packed, name: "ok.gz", maximumBytes: 2_000_000).count == 2_000_000)
    }

    @Test func plainAndCompressedFilesReadTheSame() throws {
        let folder = TemporaryFolder()
        let original = sampleBytes(10_000)
        let plain = folder.write("data.bin", original)
        let packed = folder.write("data.bin.gz", Gzip.compress(original))
        #expect(try FileReading.bytes(at: plain) == original)
        #expect(try FileReading.decompressedBytes(at: plain) == original)
        #expect(try FileReading.decompressedBytes(at: packed) == original)
        #expect(try FileReading.bytes(at: folder.write("empty", [])) == [])
    }

    @Test func missingFilesAndFoldersGiveClearErrors() {
        let folder = TemporaryFolder()
        expectDataError(.notFound, containing: [folder.file("absent.csv"), "no such file"]) { try FileReading.bytes(at: folder.file("absent.csv")) }
        expectDataError(.unreadable, containing: ["is a folder"]) { try FileReading.bytes(at: folder.path) }
    }

    @Test func atomicWritesReplaceWholeFilesAndLeaveNoTemporaries() throws {
        let folder = TemporaryFolder()
        let target = folder.file("report.csv")
        try writeFileAtomically("epoch,loss\n1,0.5\n", to: target)
        try writeFileAtomically(Array("epoch,loss\n1,0.5\n2,0.4\n".utf8), to: target)
        #expect(try String(decoding: FileReading.bytes(at: target), as: UTF8.self) == "epoch,loss\n1,0.5\n2,0.4\n")
        #expect(folder.contents == ["report.csv"])
        let attributes = try FileManager.default.attributesOfItem(atPath: target)
        #expect((attributes[.posixPermissions] as? Int) == 0o644)
        try writeFileAtomically([UInt8](), to: folder.file("empty"))
        #expect(try FileReading.bytes(at: folder.file("empty")).isEmpty)
    }

    @Test func atomicWritesIntoAMissingFolderFailClearly() {
        let folder = TemporaryFolder()
        let target = folder.file("no/such/folder/out.npy")
        expectDataError(.writeFailed, containing: [target, "temporary file"]) { try writeFileAtomically([1, 2, 3], to: target) }
        expectDataError(.writeFailed, containing: ["names a folder"]) { try writeFileAtomically([1], to: folder.path + "/") }
        #expect(folder.contents.isEmpty)
    }

    @Test func errorDescriptionsReadFileLineKindMessage() {
        #expect(DataError(.raggedRow, file: "a.csv", line: 3, "2 fields").description == "a.csv:3: ragged row: 2 fields")
        #expect(DataError(.invalidRequest, "fraction 2").description == "invalid request: fraction 2")
        #expect(DataError(.truncated, file: "x.gz", "short").description == "x.gz: truncated: short")
    }
}
