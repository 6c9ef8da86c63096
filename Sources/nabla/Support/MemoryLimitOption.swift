import ArgumentParser
import Foundation
import NablaData

/// `--memory-limit SIZE`, shared by the commands that allocate in proportion to their input: the most
/// memory one request may take before it is refused with its estimate (see `MemoryBudget`). Default:
/// `NABLA_MEMORY_LIMIT`, else min(8 GiB, half the physical memory).
struct MemoryLimitOption: ParsableArguments {
    @Option(parsing: .unconditional, help: ArgumentHelp("Refuse any single request for more memory than this, e.g. 512M, 16G (default: $NABLA_MEMORY_LIMIT, else min(8G, half the memory)).",
                               valueName: "size"))
    var memoryLimit: String?

    func validate() throws {
        // A mistyped environment variable would otherwise be ignored without a word.
        if let text = ProcessInfo.processInfo.environment[MemoryBudget.environmentVariable], (try? MemoryBudget.parse(text)) == nil {
            throw ValidationError("\(MemoryBudget.environmentVariable)='\(text)' is not a size; set it to e.g. 512M or 16G, or unset it")
        }
        if let memoryLimit {
            do { _ = try MemoryBudget.parse(memoryLimit) } catch let error as DataError {
                throw ValidationError("--memory-limit: \(error.message)")
            }
        }
    }

    /// Puts the limit in force for this process.
    func apply() {
        if let memoryLimit, let bytes = try? MemoryBudget.parse(memoryLimit) { MemoryBudget.limit = bytes }
    }
}
