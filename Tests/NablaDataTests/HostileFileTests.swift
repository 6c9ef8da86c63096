import Foundation
import Nabla
@testable import NablaData
import Testing

/// Files that hung, misled or exhausted memory (issue 12): special files, link loops, other text
/// encodings, decompression bombs, and the memory budget's parsing and messages.
@Suite struct HostileFileTests {
    @Test func memoryLimitsParseWithUnitsAndRefuseNonsense() throws {
        #expect(try MemoryBudget.parse("16G") == 16 << 30)
        #expect(try MemoryBudget.parse("512M") == 512 << 20)
        #expect(try MemoryBudget.parse("1.5GiB") == 3 << 29)
        #expect(try MemoryBudget.parse(" 64k ") == 64 << 10)
        #expect(try MemoryBudget.parse("1000") == 1000)
        #expect(try MemoryBudget.parse("2TB") == 2 << 40)
        for bad in ["", "G", "-1G", "0", "lots", "1e30G", "nan", "inf"] {
            expectDataError(.invalidRequest, containing: ["memory limit", "512M"]) { try MemoryBudget.parse(bad) }
        }
        // The default stays well under the machine's memory, and at most 8 GiB.
        #expect(MemoryBudget.defaultLimit <= 8 << 30 && MemoryBudget.defaultLimit > 0)
        #expect(MemoryBudget.doubles(1 << 40, 1 << 40) == .max)   // saturates instead of overflowing
        #expect(MemoryBudget.describe(28_800_000_000) == "26.8 GiB")
        #expect(MemoryBudget.describe(3 << 19) == "1.5 MiB")
        #expect(MemoryBudget.describe(8 << 30) == "8 GiB")
        #expect(MemoryBudget.describe(100) == "100 bytes")
    }

    @Test func aRefusalNamesItsEstimateTheLimitAndHowToRaiseIt() {
        do {
            try MemoryBudget.check(bytes: .max, for: "a test request")
            Issue.record("an impossible request was accepted")
        } catch let error as MemoryLimitError {
            for fragment in ["a test request", "needs about", "memory limit of", "--memory-limit", "NABLA_MEMORY_LIMIT"] {
                #expect(error.description.contains(fragment), "\(fragment) missing from \(error)")
            }
        } catch { Issue.record("unexpected \(error)") }
    }

    @Test func aFIFOOrDeviceInPlaceOfADataFileIsRefusedWithoutWaiting() throws {
        let folder = TemporaryFolder()
        let fifo = folder.file("images.idx")
        #expect(mkfifo(fifo, 0o600) == 0)
        // Opening a FIFO with no writer blocks forever; the reader must look before it opens.
        expectDataError(.unreadable, containing: [fifo, "FIFO"]) { try FileReading.bytes(at: fifo) }
        expectDataError(.unreadable, containing: ["FIFO"]) { try IDX.read(fifo) }
        expectDataError(.unreadable, containing: ["FIFO"]) { try CSV.read(fifo) }
        expectDataError(.unreadable, containing: ["/dev/zero", "character device"]) { try FileReading.bytes(at: "/dev/zero") }
        expectDataError(.unreadable, containing: ["folder"]) { try FileReading.bytes(at: folder.path) }
        expectDataError(.notFound, containing: ["empty"]) { try FileReading.bytes(at: "") }
    }

    @Test func linkLoopsAndDanglingLinksAreSaidAsSuch() throws {
        let folder = TemporaryFolder()
        let a = folder.file("a.csv"), b = folder.file("b.csv")
        try FileManager.default.createSymbolicLink(atPath: a, withDestinationPath: b)
        try FileManager.default.createSymbolicLink(atPath: b, withDestinationPath: a)
        expectDataError(.unreadable, containing: [a, "symbolic link loop"]) { try CSV.read(a) }
        let dangling = folder.file("gone.csv")
        try FileManager.default.createSymbolicLink(atPath: dangling, withDestinationPath: folder.file("nothing-here.csv"))
        expectDataError(.notFound, containing: ["dangling"]) { try CSV.read(dangling) }
        expectDataError(.notFound, containing: ["no such file"]) { try CSV.read(folder.file("missing.csv")) }
    }

    @Test func utf16AndUTF32CSVFilesAreNamedWithTheirEncoding() throws {
        let text = "a,b\n1,2\n3,4\n"
        let utf16LE: [UInt8] = [0xFF, 0xFE] + text.utf16.flatMap { [UInt8($0 & 0xFF), UInt8($0 >> 8)] }
        let utf16BE: [UInt8] = [0xFE, 0xFF] + text.utf16.flatMap { [UInt8($0 >> 8), UInt8($0 & 0xFF)] }
        let unmarked = Array(utf16LE.dropFirst(2))
        let utf32LE: [UInt8] = [0xFF, 0xFE, 0, 0] + text.unicodeScalars.flatMap { [UInt8($0.value & 0xFF), 0, 0, 0] }
        let utf32BE: [UInt8] = [0, 0, 0xFE, 0xFF] + text.unicodeScalars.flatMap { [0, 0, 0, UInt8($0.value & 0xFF)] }
        for (bytes, encoding, iconv) in [(utf16LE, "UTF-16 little-endian", "UTF-16LE"), (utf16BE, "UTF-16 big-endian", "UTF-16BE"),
                                         (unmarked, "UTF-16 little-endian", "UTF-16LE"), (utf32LE, "UTF-32 little-endian", "UTF-32LE"),
                                         (utf32BE, "UTF-32 big-endian", "UTF-32BE")] {
            expectDataError(.unsupported, containing: ["data.csv", encoding, "iconv -f \(iconv) -t UTF-8"]) {
                try CSV.parse(bytes, name: "data.csv")
            }
        }
        // UTF-8, with or without its byte-order mark, still reads.
        #expect(try CSV.parse([0xEF, 0xBB, 0xBF] + Array(text.utf8), name: "bom.csv").rowCount == 2)
        #expect(try CSV.parse(Array(text.utf8), name: "plain.csv").rowCount == 2)
    }

    @Test func aMissingValueMessageNamesWhatToChangeInTheFile() {
        expectDataError(.missingValue, containing: ["fill in the value or delete the row"]) {
            try CSV.parse("a,b\n1,\n", name: "gaps.csv")
        }
    }

    @Test func aGzipIDXThatInflatesPastItsHeaderStopsAtTheDeclaredSize() throws {
        let folder = TemporaryFolder()
        // The header declares 10 bytes; the stream holds 4 MB of zeros (compressing to a few KB).
        let header: [UInt8] = [0, 0, 0x08, 1, 0, 0, 0, 10]
        let bomb = folder.write("labels-idx1-ubyte.gz", Gzip.compress(header + [UInt8](repeating: 0, count: 4 << 20)))
        expectDataError(.invalidFormat, containing: ["18 bytes its header declares", "hostile"]) { try IDX.read(bomb) }
        // A header declaring far more than the budget is refused before inflating anything.
        let huge = folder.write("images-idx3-ubyte.gz", Gzip.compress([0, 0, 0x08, 3, 0, 0x01, 0x86, 0xA0, 0, 0x01, 0x86, 0xA0, 0, 0, 0, 2]))
        do {
            _ = try IDX.read(huge)
            Issue.record("a header declaring 20 GB was accepted")
        } catch let error as MemoryLimitError {
            #expect(error.description.contains("100000×100000×2"))
        }
        // One whose sizes overflow is refused as impossible.
        let impossible = folder.write("x-idx3-ubyte.gz", Gzip.compress([0, 0, 0x08, 3] + [UInt8](repeating: 0xFF, count: 8) + [0, 0, 0, 2]))
        expectDataError(.invalidFormat, containing: ["impossible size"]) { try IDX.read(impossible) }
        // An honest gzip IDX file still reads, and so does one with zero items.
        let honest = folder.write("ok-idx1-ubyte.gz", Gzip.compress(header + Array(0..<10)))
        #expect(try IDX.read(honest).intTensor().scalars == Array(0..<10))
        let empty = folder.write("empty-idx1-ubyte.gz", Gzip.compress([0, 0, 0x08, 1, 0, 0, 0, 0]))
        #expect(try IDX.read(empty).count == 0)
    }

    @Test func plainGzipStopsAtTheLimitWithAnActionableMessage() {
        let packed = Gzip.compress([UInt8](repeating: 7, count: 1 << 20))
        expectDataError(.invalidRequest, containing: ["bomb.gz", "stopped", "--memory-limit"]) {
            try Gzip.decompress(packed, name: "bomb.gz", maximumBytes: 1000)
        }
    }
}
