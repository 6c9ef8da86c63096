import Foundation
import Nabla
import NablaTestSupport
import Testing

/// Fails with a clear message (path and environment variable) when the reference values are missing,
/// rather than leaving every golden test to fail on its own, and keeps the repository's copy complete.
@Suite struct GoldenFolderTests {
    @Test func goldenFilesArePresentAndDecode() throws {
        for name in ["ops.json", "second_order.json"] {
            let cases = try Golden.cases(in: name)
            #expect(!cases.isEmpty, "\(name) holds no cases")
        }
    }

    /// The same loader reads the module and optimiser files, whose entries have other fields.
    @Test func loaderIsGeneralEnoughForModulesAndOptimisers() throws {
        let batchNorm = try Golden.case("batchnorm2d_train", "modules", in: "modules.json")
        let state = try batchNorm.tensors("state_dict")
        #expect(state["num_batches_tracked"]?.shape == [])
        #expect(state["running_mean"]?.shape == [3])
        #expect(try batchNorm.tensors("buffers_after").keys.sorted() == ["num_batches_tracked", "running_mean", "running_var"])
        #expect(try batchNorm.field("train") == .bool(true))
        let sgd = try Golden.case("sgd", "optimizers", in: "optim.json")
        let steps = try #require(try sgd.field("grads").array)
        #expect(!steps.isEmpty)
        #expect(try steps.allSatisfy { try $0.tensor("sgd.grads").shape == sgd.tensor("param0").shape })
        let cosine = try Golden.case("cosine", "schedules", in: "optim.json")
        #expect(try cosine.field("lrs").array?.first?.number == 0.1)
    }

    /// Where the project's maintainers keep a shared copy of the reference values beside the package, every
    /// case of it must also be in the repository's copy, so that a case added there is not silently left
    /// out of a user's clone. Without such a folder (a user's clone) there is nothing to check.
    @Test func repositoryCopyHoldsEveryCaseOfTheSharedFolder() throws {
        let shared = Golden.packageRoot.appendingPathComponent("../shared/golden", isDirectory: true).standardizedFileURL
        let files = (try? FileManager.default.contentsOfDirectory(atPath: shared.path))?.filter { $0.hasSuffix(".json") } ?? []
        for file in files.sorted() {
            let theirs = try Self.entryNames(shared.appendingPathComponent(file))
            let repositoryFile = Golden.repositoryFolder.appendingPathComponent(file)
            guard FileManager.default.fileExists(atPath: repositoryFile.path) else {
                Issue.record("""
                    \(file) is in \(shared.path) but not in Tests/Golden: add its cases to \
                    scripts/golden/generate.py and run it to regenerate Tests/Golden
                    """)
                continue
            }
            let ours = try Self.entryNames(repositoryFile)
            for (list, names) in theirs.sorted(by: { $0.key < $1.key }) {
                let missing = names.filter { !(ours[list] ?? []).contains($0) }
                #expect(missing.isEmpty, """
                    \(file) "\(list)" in \(shared.path) has \(missing) that Tests/Golden lacks: add them to \
                    scripts/golden/generate.py and run it to regenerate Tests/Golden
                    """)
            }
        }
    }

    /// List name → the `name` of each entry, for every list of objects in a golden file.
    private static func entryNames(_ url: URL) throws -> [String: [String]] {
        guard let top = try JSONSerialization.jsonObject(with: Data(contentsOf: url)) as? [String: Any] else {
            Issue.record("\(url.path) is not a JSON object")
            return [:]
        }
        var result: [String: [String]] = [:]
        for (list, value) in top {
            guard let entries = value as? [[String: Any]] else { continue }
            result[list] = entries.compactMap { $0["name"] as? String }
        }
        return result
    }

    @Test func integerInputsDecodeAsIntegerTensors() throws {
        let gather = try Golden.case("gather", in: "ops.json")
        let inputs = try gather.inputs(requiringGradients: true)
        #expect(inputs.integers["idx"]?.shape == [3, 2])
        #expect(inputs.floats["idx"] == nil)
        #expect(inputs["x"].requiresGrad)
    }
}
