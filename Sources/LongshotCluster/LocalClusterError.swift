/// A failure of `longshot up` / `down`, in one message a user can act on.
public struct LocalClusterError: Error, Sendable, CustomStringConvertible {
    /// What went wrong and what to try.
    public var message: String

    public init(_ message: String) { self.message = message }

    public var description: String { message }
}
