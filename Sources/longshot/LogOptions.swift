import ArgumentParser
import Logging
import LongshotLogging

/// `--log-format` and `--log-level` of the long-running commands (coordinator, worker).
struct LogOptions: ParsableArguments {
    @Option(help: ArgumentHelp("How log lines look: text (TIME LEVEL LABEL key=value ... message) or json (one object per line).", valueName: "text|json"))
    var logFormat: String = "text"

    @Option(help: ArgumentHelp("The least severe level logged: trace, debug, info, notice, warning, error, critical.", valueName: "level"))
    var logLevel: String = "info"

    /// The parsed options; every other Logger of the process (the HTTP server's, the service group's)
    /// logs the same way.
    func settings() throws -> (format: LogFormat, level: Logger.Level) {
        guard let format = LogFormat(rawValue: logFormat.lowercased()) else {
            throw fail("log-format: '\(logFormat)' is not text or json")
        }
        guard let level = FarmLogging.level(logLevel) else {
            throw fail("log-level: '\(logLevel)' is not one of trace, debug, info, notice, warning, error, critical")
        }
        FarmLogging.bootstrap(format: format, level: level)
        return (format, level)
    }
}
