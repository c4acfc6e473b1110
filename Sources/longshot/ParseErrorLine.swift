import ArgumentParser
import Foundation

/// A command line the parser refused, as one line on standard error (the parser's own report adds the
/// option's help and the usage: four lines for one wrong value).
enum ParseErrorLine {
    /// The line for a refused command line `arguments` (without the program name).
    static func line(_ message: String, arguments: [String]) -> String {
        let command = arguments.first.flatMap { name in
            Longshot.configuration.subcommands.first { $0.configuration.commandName == name }.map { _ in name }
        }
        let help = "`longshot \(command.map { $0 + " " } ?? "")--help` lists the options"
        return "longshot: error: \(negativeValue(message, arguments) ?? message) (\(help))"
    }

    /// "Missing value for '--duration'" when the value was a negative number, which the parser reads as an
    /// option: say what was meant.
    static func negativeValue(_ message: String, _ arguments: [String]) -> String? {
        guard message.hasPrefix("Missing value for '") else { return nil }
        for (option, value) in zip(arguments, arguments.dropFirst()) where option.hasPrefix("--")
            && message.contains("'\(option) ") && value.hasPrefix("-") && Double(value) != nil
        {
            return "\(option): \(value) is negative; give a positive value"
        }
        return nil
    }
}

extension Longshot {
    /// Runs the command; a refused command line is one line (``ParseErrorLine``), everything else as the
    /// parser does it (help, version, the commands' own errors).
    static func main() async {
        do {
            var command = try parseAsRoot()
            if var command = command as? any AsyncParsableCommand {
                try await command.run()
            } else {
                try command.run()
            }
        } catch {
            if exitCode(for: error) == .validationFailure, !(error is ExitCode) {
                FileHandle.standardError.write(Data((ParseErrorLine.line(message(for: error), arguments: Array(CommandLine.arguments.dropFirst())) + "\n").utf8))
                Glibc.exit(ExitCode.validationFailure.rawValue)
            }
            exit(withError: error)
        }
    }
}
