import ArgumentParser
import Foundation
import NablaClassic
import NablaData

/// `nabla classic METHOD --data NAME|file.csv [options]`: runs one classical method (regression,
/// classification, clustering, embedding, semi-supervised) on a built-in data set, Fashion-MNIST,
/// generated data or a CSV file, and prints its metrics. `nabla classic --list` shows the methods with
/// their tasks and options, and the data sets.
///
/// ```
/// nabla classic lda --data iris
/// nabla classic ridge --data diabetes --penalty 10 --folds 5
/// nabla classic logistic-regression --data houses.csv --target sold --classification
/// nabla classic tsne --data digits --output digits-tsne.csv
/// ```
struct ClassicCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "classic",
        abstract: "Run a classical machine-learning method on a data set and print its metrics.",
        discussion: "Methods: " + ClassicMethod.all.map(\.name).joined(separator: ", ")
            + ". Data: " + ClassicDataSource.names.joined(separator: ", ") + ", or a CSV file (with --target). "
            + "Supervised methods train on the data set's training part and report on its test set (Fashion-MNIST) "
            + "or on a held-out validation share. See --list for what each method reads."
    )

    @Argument(help: "The method to run (see --list).") var method: String?
    @Flag(help: "List the methods, their tasks and options, and the data sets.") var list = false
    @OptionGroup var options: ClassicOptions
    @OptionGroup var memory: MemoryLimitOption

    func validate() throws {
        if list { return }
        guard let method else { throw ValidationError("name a method, or pass --list to see them") }
        if ClassicMethod.named(method) == nil {
            throw ValidationError("unknown method '\(method)'; choose one of: \(ClassicMethod.all.map(\.name).joined(separator: ", "))")
        }
    }

    func run() throws {
        if list { printList(); return }
        let chosen = ClassicMethod.named(method!)!
        memory.apply()
        var options = options
        if options.scale == nil { options.scale = chosen.defaultScaling }
        do {
            let dataName = options.data ?? chosen.task.defaultData
            let data = try ClassicDataSource.load(dataName, options: options)
            var report = ClassicReport()
            report.add("method", chosen.name)
            report.add("task", chosen.task.rawValue)
            report.add("data", data.source)
            report.add("scaling", options.scale!.rawValue)
            let start = Date()
            try chosen.run(data, options, &report)
            report.add("seconds", Date().timeIntervalSince(start))
            report.print(json: options.json)
        } catch let error as ClassicError {
            throw failure("\(error)")
        } catch let error as DataError {
            throw failure("\(error)")
        } catch let error as ClassicCommandError {
            throw failure("\(error)")
        } catch let error as MemoryLimitError {
            throw failure("\(error)")
        } catch let error as ExitCode {
            throw error
        } catch {
            // Anything else still ends as one line on standard error, never a usage dump or a trap.
            throw failure("\(error)")
        }
    }

    private func printList() {
        print("Methods (nabla classic METHOD --data NAME|file.csv [options]):")
        for task in ClassicTask.allCases {
            print("\n  \(task.rawValue) (default data: \(task.defaultData))")
            for method in ClassicMethod.all where method.task == task {
                let padded = method.name + String(repeating: " ", count: max(1, 24 - method.name.count))
                print("    \(padded)\(method.summary)")
                if !method.options.isEmpty {
                    print("    " + String(repeating: " ", count: 24) + "options: " + method.options.joined(separator: ", ")
                          + (method.defaultScaling == .none ? "" : "; scaling \(method.defaultScaling.rawValue) by default"))
                }
            }
        }
        print("\nData sets (--data):")
        for (name, summary) in ClassicDataSource.descriptions {
            print("    " + name + String(repeating: " ", count: max(1, 24 - name.count)) + summary)
        }
        print("    file.csv                any CSV with a header; --target COLUMN names what to predict")
    }
}
