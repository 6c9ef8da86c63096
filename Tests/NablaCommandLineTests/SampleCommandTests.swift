import ArgumentParser
import Foundation
import Nabla
import NablaData
import NablaLabs
@testable import nabla
import Testing

/// `nabla sample`: a finished gan run gives a PNG grid and an NPY array of the asked size; a count ≤ 0 and
/// a folder that holds no generative model are refused with the reason.
@Suite struct SampleCommandTests {
    @Test func refusesBadCountsAndFoldersWithoutAGenerator() throws {
        for count in ["0", "-3"] {
            #expect(throws: (any Error).self) { try SampleCommand.parse(["runs/x", "--count", count]) }
        }
        let command = try SampleCommand.parse([NSTemporaryDirectory(), "--count", "4"])
        #expect(throws: ExitCode.self) { try command.run() }
    }

    @Test func writesSamplesOfATinyGanRun() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("nabla-sample-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: folder) }
        let lab = try LabRegistry.lab(named: "gan")
        var options = LabRunOptions()
        options.quick = true
        options.overrides = lab.tinySettings
        options.output = folder.path
        _ = try LabRunner.run(lab, options: options)
        try SampleCommand.parse([folder.path, "--count", "7", "--seed", "3"]).run()
        let array = try NPY.read(folder.appendingPathComponent("samples.npy").path)
        #expect(array.shape == [7, 1, 28, 28])
        #expect(try array.tensor().scalars.allSatisfy { (0...1).contains($0) })
        #expect(FileManager.default.fileExists(atPath: folder.appendingPathComponent("samples.png").path))
    }
}
