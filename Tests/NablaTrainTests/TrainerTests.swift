import Foundation
import Nabla
import NablaCheckpoint
import NablaData
import Testing
@testable import NablaTrain

@Suite struct TrainerTests {
    /// Rows without the wall-clock columns, which differ between any two runs.
    func figures(_ rows: [[String: Double]]) -> [[String: Double]] {
        rows.map { $0.filter { $0.key != "seconds" && $0.key != "samples_per_s" } }
    }

    @Test func resumingAtAnyStepEndsBitIdenticalToAnUninterruptedRun() throws {
        let epochs = 3
        let whole = TwoModelTask(epochs: epochs)
        let wholeFolder = try RunFolderWriter(folder: temporaryRunFolder(), mode: .create(overwrite: false))
        let reference = try Trainer(task: whole, folder: wholeFolder, options: quietOptions(epochs: epochs)).fit()
        #expect(reference.stop == .finished)
        let total = reference.state.step
        #expect(total == epochs * whole.batchesPerEpoch)

        var picker = RandomGenerator(seed: UInt64(Date().timeIntervalSince1970))
        let stops = [1, whole.batchesPerEpoch, Int(picker.next() % UInt64(total - 1)) + 1]
        for stop in stops {
            let folderURL = temporaryRunFolder()
            do {
                var options = quietOptions(epochs: epochs)
                options.stopAfterSteps = stop
                let folder = try RunFolderWriter(folder: folderURL, mode: .create(overwrite: false))
                let interrupted = try Trainer(task: TwoModelTask(epochs: epochs), folder: folder, options: options).fit()
                #expect(interrupted.stop == .interrupted && interrupted.state.step == stop)
            }
            var options = quietOptions(epochs: epochs)
            options.resume = true
            let resumedTask = TwoModelTask(epochs: epochs)
            let folder = try RunFolderWriter(folder: folderURL, mode: .resume)
            let resumed = try Trainer(task: resumedTask, folder: folder, options: options).fit()
            #expect(resumed.stop == .finished)
            #expect(resumedTask.parameterBits() == whole.parameterBits(), "stopped at step \(stop) of \(total)")
            #expect(resumedTask.stepsSeen == total, "the task's own counter comes back from the checkpoint")
            #expect(figures(resumed.state.metrics) == figures(reference.state.metrics), "stopped at step \(stop)")
            #expect(resumedTask.scheduler.stepCount == whole.scheduler.stepCount)
        }
    }

    @Test func aNonFiniteLossStopsTheRunWithAMessageAndTheMetricsInPythonsForm() throws {
        var lines: [String] = []
        var options = quietOptions(epochs: 3)
        options.log = { lines.append($0) }
        let folder = try RunFolderWriter(folder: temporaryRunFolder(), mode: .create(overwrite: false))
        let outcome = try Trainer(task: TwoModelTask(learningRate: 1e30), folder: folder, options: options).fit()
        guard case .diverged(let step, let epoch, let loss) = outcome.stop else {
            Issue.record("expected divergence, got \(outcome.stop)")
            return
        }
        #expect(!loss.isFinite && epoch == 1 && step >= 1)
        #expect(lines.contains { $0.contains("at step \(step)") && $0.contains("lower") && $0.contains("--keep-going-on-nan") }, "\(lines)")
        let jsonl = try String(contentsOfFile: folder.path("metrics.jsonl"), encoding: .utf8)
        #expect(jsonl.contains("NaN") || jsonl.contains("Infinity"), "\(jsonl)")
        let parsed = try JSONValue.parse(jsonl.split(separator: "\n")[0].description, rules: .python)
        #expect(parsed["train_loss"]?.number.map { !$0.isFinite } == true)
        let csv = try String(contentsOfFile: folder.path("metrics.csv"), encoding: .utf8)
        #expect(csv.contains("nan") || csv.contains("inf"))

        var keepGoing = quietOptions(epochs: 2)
        keepGoing.stopOnNonFiniteLoss = false
        let other = try RunFolderWriter(folder: temporaryRunFolder(), mode: .create(overwrite: false))
        #expect(try Trainer(task: TwoModelTask(learningRate: 1e30), folder: other, options: keepGoing).fit().stop == .finished)
    }

    @Test func earlyStoppingEndsTheRunAndAResumeKeepsItEnded() throws {
        var options = quietOptions(epochs: 6)
        // The validation loss falls, so "maximise" never improves after the first epoch.
        options.earlyStopping = EarlyStoppingRule(metric: "val_loss", patience: 1, mode: .maximize)
        let url = temporaryRunFolder()
        let outcome = try Trainer(task: TwoModelTask(epochs: 6), folder: RunFolderWriter(folder: url, mode: .create(overwrite: false)), options: options).fit()
        #expect(outcome.stop == .stoppedEarly(epoch: 2))
        options.resume = true
        let again = try Trainer(task: TwoModelTask(epochs: 6), folder: RunFolderWriter(folder: url, mode: .resume), options: options).fit()
        #expect(again.stop == .stoppedEarly(epoch: 2) && again.state.step == outcome.state.step)
    }

    @Test func handEditedCountersInACheckpointAreRefusedByName() throws {
        let url = temporaryRunFolder()
        _ = try Trainer(task: TwoModelTask(epochs: 2), folder: RunFolderWriter(folder: url, mode: .create(overwrite: false)), options: quietOptions(epochs: 2)).fit()
        let path = url.appendingPathComponent("checkpoint.safetensors").path
        let original = try TrainingCheckpoint.read(path)
        for (key, value) in [("completedEpochs", 99), ("completedEpochs", -1), ("step", -5)] {
            var edited = original
            var state = try #require(try original.record(TrainerState.self, forKey: "trainer"))
            if key == "step" { state.step = value } else { state.completedEpochs = value }
            try edited.setRecord(state, forKey: "trainer")
            try edited.write(to: path)
            var options = quietOptions(epochs: 2)
            options.resume = true
            let error = #expect(throws: RunFolderError.self) {
                try Trainer(task: TwoModelTask(epochs: 2), folder: RunFolderWriter(folder: url, mode: .resume), options: options).fit()
            }
            #expect(error?.description.contains("\(key) = \(value)") == true, "\(String(describing: error))")
        }
    }

    @Test func impossibleEpochCountsAndEmptyDataAreErrorsOrRunsNotTraps() throws {
        let error = #expect(throws: RunFolderError.self) {
            try Trainer(task: TwoModelTask(), folder: RunFolderWriter(folder: temporaryRunFolder(), mode: .create(overwrite: false)),
                        options: quietOptions(epochs: Int.max)).fit()
        }
        #expect(error?.description.contains("\(Int.max)") == true)
        #expect(throws: RunFolderError.self) {
            try Trainer(task: TwoModelTask(), folder: RunFolderWriter(folder: temporaryRunFolder(), mode: .create(overwrite: false)),
                        options: quietOptions(epochs: 0)).fit()
        }
        // No examples at all: the cosine schedule gets a one-step period and the epochs run empty.
        let empty = TwoModelTask(examples: 0, epochs: 2)
        let outcome = try Trainer(task: empty, folder: RunFolderWriter(folder: temporaryRunFolder(), mode: .create(overwrite: false)),
                                  options: quietOptions(epochs: 2)).fit()
        #expect(outcome.stop == .finished && outcome.state.step == 0)
    }
}

/// A run that trains twice in one folder, as a lab does: two tasks, each its own stage and checkpoint.
@Suite struct TwoStageRunTests {
    static let stages: [(name: String, seed: UInt64, epochs: Int)] = [("first", 3, 2), ("second", 7, 3)]

    /// Trains both stages in `folder`, stopping after `stopAfterSteps` steps in all, or resuming from the
    /// checkpoints there (a stage without one starts fresh); returns the tasks and outcomes.
    func run(_ folderURL: URL, stopAfterSteps: Int? = nil, resume: Bool = false) throws -> [(task: TwoModelTask, outcome: TrainingOutcome)] {
        let folder = try RunFolderWriter(folder: folderURL, mode: resume ? .resume : .create(overwrite: false))
        defer { folder.release() }
        var done: [(task: TwoModelTask, outcome: TrainingOutcome)] = []
        var stepsBefore = 0
        for stage in Self.stages {
            let task = TwoModelTask(seed: stage.seed, epochs: stage.epochs)
            var options = quietOptions(epochs: stage.epochs)
            options.stage = stage.name
            options.checkpointFile = "checkpoint.\(stage.name).safetensors"
            options.stopAfterSteps = stopAfterSteps.map { $0 - stepsBefore }.flatMap { $0 > 0 ? $0 : nil }
            options.resume = resume && FileManager.default.fileExists(atPath: folder.path(options.checkpointFile))
            let outcome = try Trainer(task: task, folder: folder, options: options).fit()
            done.append((task, outcome))
            stepsBefore += outcome.state.step
            if !outcome.isOver { break }
        }
        return done
    }

    /// The lines of metrics.jsonl as (stage, epoch, train_loss bits): what must match between runs.
    func metricLines(_ folder: URL) throws -> [String] {
        let text = try String(contentsOf: folder.appendingPathComponent("metrics.jsonl"), encoding: .utf8)
        return try text.split(separator: "\n").map { line in
            let object = try #require(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
            let loss = try #require(object["train_loss"] as? Double)
            return "\(object["stage"] ?? "none") \(object["epoch"] ?? "none") \(loss.bitPattern) \(object["val_loss"] ?? "none")"
        }
    }

    @Test func stoppingInTheSecondStageAndResumingIsBitExactWithEveryRowOnce() throws {
        let root = temporaryRunFolder()
        defer { try? FileManager.default.removeItem(at: root.deletingLastPathComponent()) }
        let wholeURL = root.appendingPathComponent("whole")
        let whole = try run(wholeURL)
        let firstSteps = whole[0].outcome.state.step, total = firstSteps + whole[1].outcome.state.step
        let reference = try metricLines(wholeURL)
        #expect(reference.count == 5 && reference.first?.hasPrefix("first 1 ") == true && reference.last?.hasPrefix("second 3 ") == true)
        let csv = try String(contentsOf: wholeURL.appendingPathComponent("metrics.csv"), encoding: .utf8).split(separator: "\n")
        #expect(csv.count == 6 && csv[0].hasPrefix("stage,epoch,") && csv[1].hasPrefix("first,1,") && csv[5].hasPrefix("second,3,"))

        let picker = RandomGenerator(seed: UInt64(Date().timeIntervalSince1970))
        let perEpoch = whole[1].task.batchesPerEpoch
        // After stage 2's first epoch (the case that was refused: the checkpoint held stage 1's rows too),
        // inside its second epoch, and at a random step of stage 2.
        // The random stop may land on a fixed one; each stop is run once, in its own folder.
        let candidates = [firstSteps + perEpoch, firstSteps + perEpoch + 2, firstSteps + Int(picker.next() % UInt64(total - firstSteps - 1)) + 1]
        let stops = candidates.enumerated().filter { !candidates[..<$0.offset].contains($0.element) }.map(\.element)
        for stop in stops {
            let folder = root.appendingPathComponent("stopped-\(stop)")
            let interrupted = try run(folder, stopAfterSteps: stop)
            #expect(interrupted.count == 2 && interrupted[1].outcome.stop == .interrupted, "stop \(stop)")
            let checkpoint = try TrainingCheckpoint.read(folder.appendingPathComponent("checkpoint.second.safetensors").path)
            let state = try #require(try checkpoint.record(TrainerState.self, forKey: "trainer"))
            #expect(state.metrics.count == state.completedEpochs, "stage 2's checkpoint keeps only its own rows")
            let resumed = try run(folder, resume: true)
            #expect(resumed.count == 2 && resumed.allSatisfy { $0.outcome.stop == .finished })
            for (index, pair) in zip(resumed, whole).enumerated() {
                #expect(pair.0.task.parameterBits() == pair.1.task.parameterBits(), "stage \(index + 1), stopped at step \(stop) of \(total)")
            }
            #expect(try metricLines(folder) == reference, "stopped at step \(stop) of \(total)")
            // Resuming a finished run changes nothing and still writes every row once.
            _ = try run(folder, resume: true)
            #expect(try metricLines(folder) == reference)
        }
    }
}
