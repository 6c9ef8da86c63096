import ArgumentParser
import Foundation

/// Prints `message` as an error on standard error and gives the exit status of a failed run, for the
/// caller to throw: `throw failure("no such folder: runs/x")`. Bad input ends here, never in a crash.
func failure(_ message: String) -> ExitCode {
    FileHandle.standardError.write(Data(("error: " + message + "\n").utf8))
    return ExitCode.failure
}
