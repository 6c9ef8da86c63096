import ArgumentParser
import Foundation
@testable import nabla
import NablaData
import NablaViz
import Testing

/// A small seeded generator (SplitMix64), so every run tries the same cases.
struct FuzzGenerator {
    var state: UInt64
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
    mutating func below(_ bound: Int) -> Int { Int(next() % UInt64(bound)) }
    mutating func pick<T>(_ items: [T]) -> T { items[below(items.count)] }
}

/// The command line's argument parser over generated bad argument lists (issue 12): each must parse or
/// end in an error message, never trap; a negative number given to a numeric option must reach its
/// range check rather than "Missing value".
@Suite struct CommandLineFuzzTests {
    static let commands = ["classic", "bench", "report", "train", "lab", "nonsense", "", "--help", "-h"]
    static let words = ["ridge", "tsne", "kmeans", "lda", "agglomerative", "random-forest", "core", "optim", "classic", "runs/x", "run", "list", "train",
                        "fashion-cnn", "iris", "blobs", "moons", "diabetes", "digits", "/dev/zero", "/nonexistent/file.csv", "../..",
                        "--list", "--json", "--exact", "--randomized", "--quick", "--classification"]
    /// Options of every command, numeric or not, with some that do not exist.
    static let options = ["--data", "--target", "--limit", "--samples", "--noise", "--seed", "--validation-fraction", "--folds",
                          "--scale", "--degree", "--penalty", "--learning-rate", "--rule", "--batch-size", "--iterations", "--solver",
                          "--criterion", "--max-depth", "--trees", "--clusters", "--restarts", "--linkage", "--components", "--gamma",
                          "--neighbors", "--perplexity", "--theta", "--labelled-fraction", "--threshold", "--entropy-weight",
                          "--output", "--memory-limit", "--repetitions", "--workload", "--data-folder", "--epochs", "--optimizer",
                          "--schedule", "--resume", "--checkpoint-every", "--stop-after-steps", "--stop-after-epochs", "--set", "--recipe",
                          "--overwrite", "--keep-going-on-nan", "--no-such-option", "-x", "--"]
    static let values = ["-1", "0", "1", "-0", "2.5", "-2.5", "1e308", "-1e308", "1e400", "nan", "NaN", "inf", "-inf", "infinity",
                         "9223372036854775807", "9223372036854775808", "-9223372036854775808", "18446744073709551616",
                         "", " ", "-", "--", "abc", "0x10", "1G", "512M", "-1G", "1e3", "1_000", "٣", "ünïcödé", "\u{0}", "\u{7F}",
                         String(repeating: "9", count: 400), String(repeating: "a", count: 5000), "standard", "min-max", "ward",
                         "gini", "adagrad", "lbfgs", "adam", "cosine", "/tmp", "/dev/null", "batch_size=60000", "seed=-1", "epochs=0",
                         "=", "batch_size", "nosuch=1"]
    /// Numeric options of classic and bench, whose negative values must reach the range check.
    static let numericOptions: Set<String> = ["--limit", "--samples", "--noise", "--seed", "--validation-fraction", "--folds",
                                              "--degree", "--penalty", "--learning-rate", "--batch-size", "--iterations",
                                              "--max-depth", "--trees", "--clusters", "--restarts", "--components", "--gamma",
                                              "--neighbors", "--perplexity", "--theta", "--labelled-fraction", "--threshold",
                                              "--entropy-weight", "--memory-limit"]

    // 4 × 250 = 1,000 lists, in four parallel parts: parsing costs about 0.2 s for `classic` (40 options) in a
    // debug build, where ArgumentParser reflects every option on every parse.
    @Test(arguments: 0..<4) func generatedArgumentListsNeverTrap(part: Int) {
        var generator = FuzzGenerator(state: 12 + UInt64(part))
        var outcomes = (parsed: 0, refused: 0)
        for _ in 0..<250 {
            var arguments = [generator.pick(Self.commands)]
            if generator.below(2) == 0 { arguments.append(generator.pick(Self.words)) }
            for _ in 0..<generator.below(6) {
                switch generator.below(4) {
                case 0: arguments.append(generator.pick(Self.options))
                case 1: arguments.append(generator.pick(Self.words))
                default: arguments += [generator.pick(Self.options), generator.pick(Self.values)]
                }
            }
            do {
                _ = try NablaCommand.parseAsRoot(arguments)
                outcomes.parsed += 1
            } catch {
                outcomes.refused += 1
                // Rendering the message is part of the path a user sees; it must not trap either.
                _ = NablaCommand.fullMessage(for: error)
            }
        }
        #expect(outcomes.parsed + outcomes.refused == 250)
        print("argument fuzz part \(part): 250 argument lists, \(outcomes.parsed) parsed, \(outcomes.refused) refused with a message, 0 traps")
    }

    @Test func negativeNumbersReachTheRangeCheck() {
        var checked = 0
        for option in Self.numericOptions.sorted() {
            for value in ["-1", "-9223372036854775808"] {
                let arguments = option == "--repetitions" ? ["bench", "core", option, value] : ["classic", "ridge", option, value]
                do {
                    _ = try NablaCommand.parseAsRoot(arguments)
                } catch {
                    let message = NablaCommand.message(for: error)
                    #expect(!message.contains("Missing value"), "\(arguments): \(message)")
                    checked += 1
                }
            }
        }
        for value in ["-1", "-3"] {
            do {
                _ = try NablaCommand.parseAsRoot(["bench", "core", "--repetitions", value])
                Issue.record("--repetitions \(value) was accepted")
            } catch {
                #expect(NablaCommand.message(for: error).contains("at least 1"), "\(NablaCommand.message(for: error))")
            }
        }
        #expect(checked >= 2 * Self.numericOptions.count - 2)
    }

    /// Every numeric option of every subcommand, as (the command's words, the option). A value the type
    /// cannot hold (`--seed -1`, an overflowing count, a word) and one out of range must each get a message
    /// naming the option and what it takes, not ArgumentParser's bare "is invalid".
    static let everyNumericOption: [([String], String)] =
        ["--limit", "--samples", "--noise", "--seed", "--validation-fraction", "--folds", "--degree", "--penalty", "--learning-rate",
         "--batch-size", "--iterations", "--max-depth", "--trees", "--clusters", "--restarts", "--components", "--gamma", "--neighbors",
         "--perplexity", "--theta", "--labelled-fraction", "--threshold", "--entropy-weight"].map { (["classic", "ridge"], $0) }
        + ["--epochs", "--batch-size", "--learning-rate", "--seed", "--validation-fraction", "--checkpoint-every", "--stop-after-steps",
           "--stop-after-epochs"].map { (["train", "fashion-mlp"], $0) }
        + ["--checkpoint-every", "--stop-after-steps"].map { (["lab", "run", "fashion-mlp"], $0) }
        + [(["bench", "core"], "--repetitions"), (["bench", "optim"], "--repetitions"), (["bench", "classic"], "--repetitions"),
           (["bench", "train"], "--seed")]

    static let realOptions: Set<String> = ["--noise", "--validation-fraction", "--penalty", "--learning-rate", "--gamma", "--perplexity",
                                           "--theta", "--labelled-fraction", "--threshold", "--entropy-weight"]

    @Test func everyNumericOptionNamesItselfAndItsRange() {
        var refused = 0
        for (command, option) in Self.everyNumericOption {
            // -1 is below every option's range; the others are not numbers, or not ones that fit (1e20 is a
            // fine real number, but no count).
            let real = Self.realOptions.contains(option)
            for value in ["-1", "-9223372036854775809", "99999999999999999999", "abc", "nan", "inf", "1e400", ""]
            where !(real && value == "99999999999999999999") {
                do {
                    _ = try NablaCommand.parseAsRoot(command + [option, value])
                    Issue.record("\(command + [option, value]) was accepted")
                } catch {
                    let message = NablaCommand.message(for: error)
                    #expect(message.contains("\(option) must be"), "\(command + [option, value]): \(message)")
                    refused += 1
                }
            }
        }
        let realCount = Self.everyNumericOption.filter { Self.realOptions.contains($0.1) }.count
        #expect(refused == 8 * Self.everyNumericOption.count - realCount)
        // The seed of nabla train and of the labs is a whole number from 0.
        do {
            _ = try NablaCommand.parseAsRoot(["train", "--seed", "-1"])
            Issue.record("--seed -1 was accepted")
        } catch {
            #expect(NablaCommand.message(for: error).contains("--seed must be a whole number of at least 0 (up to 9223372036854775807)"), "\(NablaCommand.message(for: error))")
        }
    }

    @Test func reportRefusesAnEmptyPathAndFoldersWithoutRunFiles() throws {
        // `nabla report ''` wrote report.html into the current folder, `nabla report /` into /.
        let empty = NSTemporaryDirectory() + "/nabla-not-a-run-" + UUID().uuidString
        try FileManager.default.createDirectory(atPath: empty, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: empty) }
        for folder in ["", empty] {
            var command = try NablaCommand.parseAsRoot(["report", folder])
            #expect(throws: ExitCode.self) { try command.run() }
        }
        #expect(try FileManager.default.contentsOfDirectory(atPath: empty).isEmpty)
        #expect(throws: (any Error).self) { _ = try NablaCommand.parseAsRoot(["classic", "kmeans", "--output", ""]) }
    }
}
