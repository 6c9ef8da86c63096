import ArgumentParser
import Foundation
import NablaData
import NablaLabs
import NablaTrain

/// `nabla lab`: the course labs — list them, run one, or run them all (the tour).
struct LabCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "lab",
        abstract: "The course labs: list them, run one with its report, or take the tour of all.",
        subcommands: [LabListCommand.self, LabRunCommand.self, LabTourCommand.self]
    )
}

/// Runs a library call, turning input errors into a plain message and exit status 1.
func reportingInputErrors<Value>(_ body: () throws -> Value) throws -> Value {
    do {
        return try body()
    } catch let error as LabError {
        throw failure("\(error)")
    } catch let error as RunFolderError {
        throw failure("\(error)")
    } catch let error as DataError {
        throw failure("\(error)")
    }
}

struct LabListCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "list", abstract: "Each lab: name, lecture, summary and its last result under runs/.")

    @Option(help: "Folder holding the runs (default runs).") var runs = "runs"

    func run() throws {
        let latest = LabTour.latestResults(in: runs)
        // The lecture column as wide as its longest entry, so no lecture name is cut.
        let lectureWidth = LabRegistry.all.map(\.lecture.count).max() ?? 0
        for lab in LabRegistry.all {
            print("\(lab.name.padding(toLength: 24, withPad: " ", startingAt: 0)) \(lab.lecture.padding(toLength: lectureWidth, withPad: " ", startingAt: 0)) \(lab.summary)")
            if let result = latest[lab.name] {
                print(String(repeating: " ", count: 26 + lectureWidth) + "last: " + result.line)
            }
        }
    }
}

struct LabRunCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "run",
        abstract: "Run a lab and write its run folder and report.",
        discussion: "Settings of each lab (override with --set key=value):\n\n" + LabRegistry.all.map { lab in
            "\(lab.name) (\(lab.lecture)): \(lab.summary)\n" + LabRunner.settings(of: lab).map { setting in
                "  \(setting.key) = \(setting.defaultValue)" + (setting.quickValue.map { " (quick: \($0))" } ?? "")
                    + ": \(setting.help); \(setting.allowed)"
            }.joined(separator: "\n")
        }.joined(separator: "\n\n")
    )

    @Argument(help: "The lab to run (see nabla lab list); may be left out with --resume.") var name: String?
    @Flag(help: "The quick setting (under a minute; a smoke test, not the real result).") var quick = false
    @Option(name: .customLong("set"), help: ArgumentHelp("Override a setting.", valueName: "key=value")) var overrides: [String] = []
    @Option(help: "Folder for the run's files (default runs/NAME-DATE-TIME).") var output: String?
    @Option(help: ArgumentHelp("Continue the run in this folder from its checkpoint, with the settings of its config.json.", valueName: "run-folder"))
    var resume: String?
    @Flag(help: "Replace the run files in a --output folder that holds a previous run.") var overwrite = false
    @Option(help: "Folder holding the lab's data files (each data set has its default).") var dataFolder: String?
    @Flag(help: "Train on through a NaN or infinite loss instead of stopping there.") var keepGoingOnNan = false
    @Option(parsing: .unconditional, help: "Also write a checkpoint every N training steps (0: only at the end of each epoch).",
            transform: NumericOption.integer("--checkpoint-every", in: 0...Int.max)) var checkpointEvery = 0
    @Option(parsing: .unconditional, help: ArgumentHelp("Stop with a checkpoint after N training steps in all (simulates an interruption).", visibility: .hidden),
            transform: NumericOption.integer("--stop-after-steps", in: 1...Int.max))
    var stopAfterSteps: Int?
    @OptionGroup var memory: MemoryLimitOption

    func validate() throws {
        if name == nil && resume == nil { throw ValidationError("name a lab to run (see nabla lab list), or --resume a run folder") }
        if resume != nil, let output { throw ValidationError("--output \(output) cannot be combined with --resume, which continues in its own folder") }
    }

    func run() throws {
        memory.apply()
        InterruptRequest.install()
        try reportingInputErrors {
            let labName = try name ?? LabRunner.labName(inRunFolder: resume!)
            var options = LabRunOptions()
            options.quick = quick
            options.overrides = overrides
            options.output = output
            options.resume = resume
            options.overwrite = overwrite
            options.dataFolder = dataFolder
            options.keepGoingOnNonFiniteLoss = keepGoingOnNan
            options.checkpointEvery = checkpointEvery
            options.stopAfterSteps = stopAfterSteps
            try LabRunner.run(try LabRegistry.lab(named: labName), options: options)
        }
        // Stopped by SIGINT or SIGTERM (checkpoint written, resume command printed): exit as the signal would.
        if let signal = InterruptRequest.signal { throw ExitCode(128 + signal) }
    }
}

struct LabTourCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "tour",
        abstract: "Run every lab and write runs/tour/index.html: each report, its headline figure, its baseline and a pass/miss mark.")

    @Flag(help: "The quick setting of every lab.") var quick = false
    @Option(help: "Folder for the tour (default runs/tour).") var output = "runs/tour"
    @Option(help: "Only this lab (repeatable; default: all).") var lab: [String] = []
    @Option(help: ArgumentHelp("Only these labs, comma-separated (e.g. regression,fashion-cnn; default: all).", valueName: "a,b,c"))
    var labs: String?
    @Option(help: "Folder holding the labs' data files.") var dataFolder: String?

    /// The labs named by --lab and --labs, in the order given, each once; every lab when neither is given.
    func chosenLabs() throws -> [any Lab] {
        var names = lab
        if let labs {
            let listed = labs.split(separator: ",", omittingEmptySubsequences: false).map { $0.trimmingCharacters(in: .whitespaces) }
            guard !listed.contains(where: \.isEmpty) else {
                throw LabError("--labs '\(labs)' has an empty name; give lab names separated by commas, from: "
                               + LabRegistry.all.map(\.name).joined(separator: ", "))
            }
            names += listed
        }
        guard !names.isEmpty else { return LabRegistry.all }
        var seen = Set<String>()
        return try names.filter { seen.insert($0).inserted }.map(LabRegistry.lab(named:))
    }

    func run() throws {
        try reportingInputErrors {
            let labs = try chosenLabs()
            let index = try LabTour.run(labs, quick: quick, folder: URL(fileURLWithPath: output), dataFolder: dataFolder)
            print("tour: \(index.path)")
        }
    }
}
