import Foundation
import NablaData
import Testing
@testable import NablaTrain

@Suite struct RunFolderTests {
    @Test func refusesAnEmptyPath() {
        let error = #expect(throws: RunFolderError.self) { try RunFolderWriter(folder: URL(fileURLWithPath: ""), mode: .create(overwrite: false)) }
        #expect(error?.description.contains("empty") == true)
    }

    @Test func refusesAFolderHoldingFilesUnlessOverwriting() throws {
        let url = temporaryRunFolder()
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        try writeFileAtomically("{}\n", to: url.appendingPathComponent("config.json").path)
        try writeFileAtomically("keep me\n", to: url.appendingPathComponent("notes.txt").path)
        let error = #expect(throws: RunFolderError.self) { try RunFolderWriter(folder: url, mode: .create(overwrite: false)) }
        #expect(error?.description.contains("--overwrite") == true && error?.description.contains("config.json") == true)
        // Overwriting removes the run's own files only; a resumed run keeps everything.
        _ = try RunFolderWriter(folder: url, mode: .create(overwrite: true))
        #expect(!FileManager.default.fileExists(atPath: url.appendingPathComponent("config.json").path))
        #expect(FileManager.default.fileExists(atPath: url.appendingPathComponent("notes.txt").path))
    }

    @Test func aSecondWriterIsRefusedWithTheHoldersProcessId() throws {
        let url = temporaryRunFolder()
        let first = try RunFolderWriter(folder: url, mode: .create(overwrite: false))
        let error = #expect(throws: RunFolderError.self) { try RunFolderWriter(folder: url, mode: .resume) }
        #expect(error?.description.contains("in use by another run (process \(getpid()))") == true, "\(String(describing: error))")
        first.release()
        _ = try RunFolderWriter(folder: url, mode: .resume)
    }

    @Test func leftoverTemporaryFilesAreRemovedOnStartAndResume() throws {
        let url = temporaryRunFolder()
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        for name in [".checkpoint.safetensors.tmp-Ab12Cd", ".metrics.jsonl.tmp-000000"] {
            try writeFileAtomically("partial", to: url.appendingPathComponent(name).path)
        }
        _ = try RunFolderWriter(folder: url, mode: .resume)
        let left = try FileManager.default.contentsOfDirectory(atPath: url.path).filter { $0.contains(".tmp-") }
        #expect(left.isEmpty, "\(left)")
    }
}
