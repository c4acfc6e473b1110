/// Why an external engine failed. `description` starts with one line saying what happened; the engine's
/// last lines of standard error follow, indented.
public struct ExternalEngineError: Error, CustomStringConvertible, Sendable {
    public enum Kind: String, Sendable {
        /// The command could not be started.
        case spawn
        /// The engine closed its standard output or exited.
        case crashed
        /// The engine did not answer within the timeout (it was then killed).
        case timeout
        /// The engine's bytes are not a valid frame or reply of the protocol.
        case protocolViolation = "protocol"
        /// The engine answered `ok: false`.
        case engine
    }

    public var kind: Kind
    public var message: String
    /// The engine's last lines of standard error (at most ``EngineProcess/stderrLineLimit``).
    public var stderrTail: [String]
    /// For `engine`: the engine's own one-line message, without the command and call.
    public var reason: String?

    public init(_ kind: Kind, _ message: String, stderrTail: [String] = []) {
        self.kind = kind
        self.message = message
        self.stderrTail = stderrTail
    }

    public var description: String {
        var text = "external engine \(kind == .protocolViolation ? "protocol error" : kind.rawValue): \(message)"
        if !stderrTail.isEmpty {
            text += "\nengine stderr (last \(stderrTail.count) lines):"
            for line in stderrTail { text += "\n  " + line }
        }
        return text
    }
}
