import ArgumentParser
import Foundation

/// Prints one line naming what was wrong and exits non-zero.
func fail(_ message: String) -> ExitCode {
    FileHandle.standardError.write(Data("longshot: error: \(message)\n".utf8))
    return ExitCode.failure
}

/// Writes a line to standard error.
func note(_ message: String) {
    FileHandle.standardError.write(Data("\(message)\n".utf8))
}
