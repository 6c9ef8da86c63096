import Foundation
import NablaData
import NablaLabs
import Testing
@testable import NablaTrain

@Suite struct RunFolderTests {
    /// `--output ""` and `--resume ""` are refused by the runner before any folder is touched (an empty
    /// string becomes the current folder once it is a URL, so the check is on the string). The current
    /// folder must not gain a lock file.
    @Test func refusesAnEmptyPath() throws {
        let lock = FileManager.default.currentDirectoryPath + "/.lock"
        let lockExisted = FileManager.default.fileExists(atPath: lock)
        var options = LabRunOptions()
        options.output = ""
        let error = #expect(throws: RunFolderError.self) { try LabRunner.run(LabRegistry.all[0], options: options) }
        #expect(error?.description.contains("--output is empty") == true)
        options.output = nil
        options.resume = ""
        let resumeError = #expect(throws: RunFolderError.self) { try LabRunner.run(LabRegistry.all[0], options: options) }
        #expect(resumeError?.description.contains("--resume needs a run folder") == true)
        #expect(FileManager.default.fileExists(atPath: lock) == lockExisted)
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
