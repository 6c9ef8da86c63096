import Foundation
import Nabla
import NablaCheckpoint
import NablaData
import NablaLabs
import Testing
@testable import NablaTrain

/// Runs a lab quietly in `folder` with its tiny settings on top of the quick ones.
func runTiny(_ lab: any Lab, folder: URL, stopAfterSteps: Int? = nil, resume: Bool = false) throws -> LabRunSummary {
    var options = LabRunOptions()
    options.quick = true
    options.overrides = resume ? [] : lab.tinySettings
    if resume { options.resume = folder.path } else { options.output = folder.path }
    options.stopAfterSteps = stopAfterSteps
    return try LabRunner.run(lab, options: options)
}

/// Every checkpoint's model tensors in a run folder, as raw bits, by file and key.
func finalParameters(_ folder: URL) throws -> [String: [UInt32]] {
    var all: [String: [UInt32]] = [:]
    for name in try FileManager.default.contentsOfDirectory(atPath: folder.path) where name.hasPrefix("checkpoint") && name.hasSuffix(".safetensors") {
        let checkpoint = try TrainingCheckpoint.read(folder.appendingPathComponent(name).path)
        for (key, tensor) in checkpoint.model { all[name + ":" + key] = tensor.scalars.map(\.bitPattern) }
    }
    return all
}

/// Steps trained in all, over every checkpoint of a run folder.
func totalSteps(_ folder: URL) throws -> Int {
    try FileManager.default.contentsOfDirectory(atPath: folder.path).filter { $0.hasPrefix("checkpoint") && $0.hasSuffix(".safetensors") }
        .reduce(0) { sum, name in
            sum + (try TrainingCheckpoint.read(folder.appendingPathComponent(name).path).record(TrainerState.self, forKey: "trainer")?.step ?? 0)
        }
}

/// The lines of a run folder's metrics.jsonl without the wall-clock columns, which differ between runs.
func metricFigures(_ folder: URL) throws -> [String] {
    let path = folder.appendingPathComponent("metrics.jsonl").path
    guard FileManager.default.fileExists(atPath: path) else { return [] }
    return try String(contentsOfFile: path, encoding: .utf8).split(separator: "\n").map { line in
        String(line).replacingOccurrences(of: #",?"(seconds|samples_per_s)":[^,}]*"#, with: "", options: .regularExpression)
    }
}

@Suite(.serialized) struct LabTests {
    /// Labs with no gradient training through the trainer, and why: they write no checkpoint, and a
    /// resumed run recomputes them from the seed. Every other lab must train through `context.train`.
    static let labsWithoutTrainerTraining: [String: String] = [
        "regression": "closed-form least squares and NablaClassic's full-batch gradient-descent and Adagrad fits "
            + "(scikit-style estimators in double precision on 442 rows, a few seconds in all): no network, nothing to checkpoint",
        "generative-vs-logistic": "closed-form Gaussian classifiers and NablaClassic's logistic-regression fits "
            + "(scikit-style estimators on 569 rows, seconds): no network, nothing to checkpoint",
    ]

    /// For every lab with training: stop at a random step, resume, and end bit-identical to an
    /// uninterrupted run — the final parameters of every stage, the headline figure, and metrics.jsonl
    /// with each epoch of each stage exactly once. A lab without trainer training must be listed above,
    /// write no checkpoint, and repeat exactly (what its recomputation on resume relies on).
    @Test(arguments: LabRegistry.all.map(\.name))
    func resumeFromARandomStepIsBitExact(_ name: String) throws {
        let lab = try LabRegistry.lab(named: name)
        let root = temporaryRunFolder(name)
        defer { try? FileManager.default.removeItem(at: root.deletingLastPathComponent()) }
        let whole = try runTiny(lab, folder: root.appendingPathComponent("whole"))
        let steps = try totalSteps(whole.folder)
        if let reason = Self.labsWithoutTrainerTraining[name] {
            #expect(steps == 0, "\(name) is listed as not training through the trainer (\(reason)), yet it checkpointed \(steps) steps")
            let again = try runTiny(lab, folder: root.appendingPathComponent("again"))
            #expect(again.result.headline.bitPattern == whole.result.headline.bitPattern || (again.result.headline.isNaN && whole.result.headline.isNaN))
            return
        }
        let advice = "a lab that trains must train through context.train with tinySettings of at least 2 steps, "
            + "or be listed in labsWithoutTrainerTraining with the reason"
        try #require(steps >= 2, "\(name) checkpointed \(steps) steps: \(advice)")
        var picker = RandomGenerator(seed: UInt64(Date().timeIntervalSince1970 * 1000))
        let stop = Int(picker.next() % UInt64(steps - 1)) + 1
        let folder = root.appendingPathComponent("resumed")
        let interrupted = try runTiny(lab, folder: folder, stopAfterSteps: stop)
        #expect(interrupted.result.isInterrupted, "\(name) should stop at step \(stop) of \(steps)")
        let resumed = try runTiny(lab, folder: folder, resume: true)
        #expect(try finalParameters(resumed.folder) == (try finalParameters(whole.folder)), "\(name) stopped at step \(stop) of \(steps)")
        #expect(resumed.result.headline.bitPattern == whole.result.headline.bitPattern || (resumed.result.headline.isNaN && whole.result.headline.isNaN))
        let rows = try metricFigures(whole.folder), resumedRows = try metricFigures(resumed.folder)
        #expect(!rows.isEmpty && resumedRows == rows, "\(name) stopped at step \(stop) of \(steps): metrics.jsonl differs")
        let left = try FileManager.default.contentsOfDirectory(atPath: folder.path).filter { $0.contains(".tmp-") }
        #expect(left.isEmpty)
    }

    @Test func badLabNamesAndSettingsAreErrorsNamingTheKeyAndTheAllowedValues() throws {
        #expect((#expect(throws: LabError.self) { try LabRegistry.lab(named: "fashion-mpl") })?.description.contains("fashion-mlp") == true)
        let lab = FashionClassifierLab.mlp
        let cases: [(String, String)] = [
            ("epochs=0", "1...1000"), ("epochs=9223372036854775807", "'epochs'"), ("epochs=2.5", "an integer"),
            ("batch_size=64.5", "'batch_size'"), ("optimizer=adagrad", "adam, adamw, sgd"), ("normalize_inputs=maybe", "true or false"),
            ("learning_rate=nan", "'learning_rate'"), ("colour=red", "its settings are"), ("epochs", "key=value"),
        ]
        for (override, expected) in cases {
            let error = #expect(throws: LabError.self) { try LabRunner.resolve(lab, quick: false, overrides: [override]) }
            #expect(error?.description.contains(expected) == true, "\(override): \(String(describing: error))")
        }
        #expect(try LabRunner.resolve(lab, quick: true, overrides: ["epochs=3"]).integer("epochs") == 3)
        #expect(try LabRunner.resolve(lab, quick: true, overrides: []).integer("epochs") == 1)
    }

    @Test func editedConfigValuesAreRefusedOnResumeByName() throws {
        let lab = FashionClassifierLab.mlp
        let folder = temporaryRunFolder()
        defer { try? FileManager.default.removeItem(at: folder.deletingLastPathComponent()) }
        _ = try runTiny(lab, folder: folder, stopAfterSteps: 2)
        let configPath = folder.appendingPathComponent("config.json").path
        let original = try String(contentsOfFile: configPath, encoding: .utf8)
        for (from, to, key) in [("\"epochs\" : 2", "\"epochs\" : 0", "epochs"), ("\"epochs\" : 2", "\"epochs\" : -3", "epochs"),
                                ("\"batch_size\" : 50", "\"batch_size\" : 64.5", "batch_size"), ("\"batch_size\" : 50", "\"batch_size\" : 0", "batch_size")] {
            #expect(original.contains(from), "config.json: \(original)")
            try writeFileAtomically(original.replacingOccurrences(of: from, with: to), to: configPath)
            let error = #expect(throws: RunFolderError.self) { try runTiny(lab, folder: folder, resume: true) }
            #expect(error?.description.contains("'\(key)'") == true, "\(to): \(String(describing: error))")
        }
        try writeFileAtomically(original, to: configPath)
        let config = try JSONValue.parse(original, rules: .python)
        #expect(config["input_normalization"]?["mean"]?.number == Double(FashionMNIST.mean))
        #expect(config["input_normalization"]?["standard_deviation"]?.number == Double(FashionMNIST.standardDeviation))
    }

    @Test func aLabRunIsRefusedWhileAnotherHoldsItsFolder() throws {
        let folder = temporaryRunFolder()
        let holder = try RunFolderWriter(folder: folder, mode: .create(overwrite: false))
        var options = LabRunOptions()
        options.output = folder.path
        options.overwrite = true
        let error = #expect(throws: RunFolderError.self) { try LabRunner.run(FashionClassifierLab.mlp, options: options) }
        #expect(error?.description.contains("process \(getpid())") == true)
        holder.release()
        options.output = ""
        #expect((#expect(throws: RunFolderError.self) { try LabRunner.run(FashionClassifierLab.mlp, options: options) })?.description.contains("empty") == true)
    }
}

@Suite struct FashionModelTests {
    @Test func theResidualNetworkMapsImagesToTenLogitsAndTrainsEveryParameter() throws {
        let generator = RandomGenerator(seed: 5)
        let model = FashionArchitecture.residual.makeModel(generator)
        let logits = model(generator.uniform([2, 1, 28, 28]))
        #expect(logits.shape == [2, 10])
        logits.sum().backward()
        let missing = model.namedParameters().filter { $0.tensor.grad == nil }.map(\.name)
        #expect(missing.isEmpty, "no gradient reached \(missing)")
    }
}
