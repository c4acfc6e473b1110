import Foundation
import Synchronization

/// Progress on standard error: a redrawn bar on a terminal, plain lines (one per 10%) otherwise.
final class ProgressLine: Sendable {
    private let isTerminal = isatty(STDERR_FILENO) != 0
    private let state = Mutex<(label: String, decile: Int)>(("", -1))

    func update(_ label: String, done: Int, total: Int) {
        let fraction = total > 0 ? Double(done) / Double(total) : 1
        if isTerminal {
            let width = 30
            let filled = Int(fraction * Double(width))
            let bar = String(repeating: "#", count: filled) + String(repeating: "-", count: width - filled)
            let line = "\r\(label.padding(toLength: 8, withPad: " ", startingAt: 0)) [\(bar)] \(done)/\(total)"
            FileHandle.standardError.write(Data(line.utf8))
            if done >= total { FileHandle.standardError.write(Data("\n".utf8)) }
        } else {
            let decile = Int(fraction * 10)
            let shouldPrint = state.withLock { s -> Bool in
                if s.label != label || decile > s.decile {
                    s = (label, decile)
                    return true
                }
                return false
            }
            if shouldPrint {
                FileHandle.standardError.write(Data("\(label): \(done)/\(total) (\(Int(fraction * 100))%)\n".utf8))
            }
        }
    }
}
