import Foundation
import Synchronization

/// Progress on standard error: a redrawn bar on a terminal, plain lines (one per 10%) otherwise; both
/// name the unit counted and, once some is done, the time left at the rate so far.
final class ProgressLine: Sendable {
    private let isTerminal = isatty(STDERR_FILENO) != 0
    private struct State {
        var label = ""
        var decile = -1
        var started = ContinuousClock.now
        var firstDone = 0
    }
    private let state = Mutex(State())

    func update(_ label: String, done: Int, total: Int, unit: String = "") {
        let fraction = total > 0 ? Double(done) / Double(total) : 1
        let now = ContinuousClock.now
        let (shouldPrint, eta) = state.withLock { s -> (Bool, String) in
            let newLabel = s.label != label
            if newLabel { s = State(label: label, decile: -1, started: now, firstDone: done) }
            let decile = Int(fraction * 10)
            let print = newLabel || decile > s.decile
            if print { s.decile = decile }
            return (print, Self.eta(done: done - s.firstDone, left: total - done, elapsed: now - s.started))
        }
        let counted = "\(done)/\(total)\(unit.isEmpty ? "" : " " + unit)"
        if isTerminal {
            let width = 30
            let filled = Int(fraction * Double(width))
            let bar = String(repeating: "#", count: filled) + String(repeating: "-", count: width - filled)
            let line = "\r\(label.padding(toLength: 8, withPad: " ", startingAt: 0)) [\(bar)] \(counted)\(eta)\u{1B}[K"
            FileHandle.standardError.write(Data(line.utf8))
            if done >= total { FileHandle.standardError.write(Data("\n".utf8)) }
        } else if shouldPrint {
            FileHandle.standardError.write(Data("\(label): \(counted) (\(Int(fraction * 100))%)\(eta)\n".utf8))
        }
    }

    /// ", about M:SS left" at the rate so far; empty before anything is done or once all is.
    static func eta(done: Int, left: Int, elapsed: Duration) -> String {
        guard done > 0, left > 0 else { return "" }
        let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
        let remaining = Int((seconds / Double(done) * Double(left)).rounded())
        return ", about \(remaining / 60):\(String(format: "%02d", remaining % 60)) left"
    }
}
