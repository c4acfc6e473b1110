/// Where an HTTP server listens: `HOST:PORT`, `:PORT` (all interfaces) or `[IPv6]:PORT`.
public struct HTTPAddress: Sendable, Hashable, CustomStringConvertible {
    public var host: String
    public var port: Int

    /// Parses `HOST:PORT`; nil when the text is not one.
    public init?(_ text: String) {
        guard let colon = text.lastIndex(of: ":"), let port = Int(text[text.index(after: colon)...]), (1...65535).contains(port)
        else { return nil }
        var host = String(text[..<colon])
        if host.hasPrefix("["), host.hasSuffix("]") { host = String(host.dropFirst().dropLast()) }
        self.host = host.isEmpty ? "0.0.0.0" : host
        self.port = port
    }

    public var description: String { host.contains(":") ? "[\(host)]:\(port)" : "\(host):\(port)" }
    /// The URL a browser on this machine opens (a wildcard host becomes 127.0.0.1).
    public var url: String { "http://\(["0.0.0.0", "::"].contains(host) ? "127.0.0.1" : description)" }
}
