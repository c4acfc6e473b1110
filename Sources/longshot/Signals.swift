import Dispatch
import Foundation

/// Calls `handler` on SIGTERM or SIGINT (once per signal), instead of the default of dying at once.
///
/// `@unchecked Sendable`: the sources are set up in `init` and only cancelled in `deinit`.
final class SignalTrap: @unchecked Sendable {
    private let sources: [any DispatchSourceSignal]

    init(_ handler: @escaping @Sendable (Int32) -> Void) {
        sources = [SIGTERM, SIGINT].map { number in
            signal(number, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: number, queue: .global())
            source.setEventHandler { handler(number) }
            source.resume()
            return source
        }
    }

    deinit { sources.forEach { $0.cancel() } }
}
