import ArgumentParser
import Foundation

/// Prints `message` as an error on standard error and gives the exit status of a failed run, for the
/// caller to throw: `throw failure("no such folder: runs/x")`. Bad input ends here, never in a crash.
func failure(_ message: String) -> ExitCode {
    FileHandle.standardError.write(Data(("error: " + message + "\n").utf8))
    return ExitCode.failure
}

/// A Foundation file error as a sentence that names `path` and what went wrong, instead of
/// "The operation could not be completed. (NSCocoaErrorDomain error 512.)", which is all Linux's
/// `localizedDescription` says. Other errors keep their own description.
func describeFileError(_ error: Error, path: String) -> String {
    guard let cocoa = error as? CocoaError else { return "\(path): \(error)" }
    let problem: String
    switch cocoa.code {
    case .fileNoSuchFile, .fileReadNoSuchFile: problem = "no such file or folder (check the path; the folder it names must exist)"
    case .fileReadNoPermission, .fileWriteNoPermission: problem = "permission denied (choose a path you may write, or change its permissions)"
    case .fileWriteOutOfSpace: problem = "the disk is full"
    case .fileWriteVolumeReadOnly: problem = "the file system is read-only"
    case .fileWriteFileExists: problem = "a file of that name is in the way"
    case .fileWriteInvalidFileName, .fileReadInvalidFileName: problem = "not a valid file name"
    default:
        // 512 (an unknown write error) and its kin: the underlying POSIX error says what happened.
        if let underlying = cocoa.underlying as? POSIXError {
            problem = String(cString: strerror(underlying.code.rawValue)).lowercased()
        } else if let underlying = cocoa.underlying {
            problem = (underlying as NSError).localizedDescription
        } else {
            problem = "could not be written or read (Foundation error \(cocoa.code.rawValue)); check that the folder exists and is writable"
        }
    }
    return "\(path): \(problem)"
}
