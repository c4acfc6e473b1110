import Foundation

/// A plain TCP connect to a `tcp://` or `tls+tcp://` address, to tell at once "nothing listens there"
/// (connection refused) from "no answer yet", which NNG's background dialer does not report.
public enum ConnectProbe {
    /// True when every address of the comma-separated list refused a TCP connection within `timeout`
    /// (every address its host resolves to); false when one connected, did not answer in time, or is not TCP.
    public static func allRefused(_ list: String, timeout: Duration = .milliseconds(500)) -> Bool {
        let targets = list.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
        return !targets.isEmpty && targets.allSatisfy { refused($0, timeout: timeout) }
    }

    static func refused(_ address: String, timeout: Duration) -> Bool {
        guard let (host, port) = hostAndPort(address) else { return false }
        var hints = addrinfo()
        hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
        var list: UnsafeMutablePointer<addrinfo>?
        guard getaddrinfo(host, port, &hints, &list) == 0, let first = list else { return false }
        defer { freeaddrinfo(first) }
        var entry: UnsafeMutablePointer<addrinfo>? = first
        var sawAddress = false
        while let info = entry {
            sawAddress = true
            guard connectRefused(info.pointee, timeout: timeout) else { return false }
            entry = info.pointee.ai_next
        }
        return sawAddress
    }

    /// Connects without blocking and waits up to `timeout`; true only for ECONNREFUSED.
    private static func connectRefused(_ info: addrinfo, timeout: Duration) -> Bool {
        let fd = socket(info.ai_family, info.ai_socktype | Int32(SOCK_CLOEXEC.rawValue) | Int32(SOCK_NONBLOCK.rawValue), info.ai_protocol)
        guard fd >= 0 else { return false }
        defer { close(fd) }
        if connect(fd, info.ai_addr, info.ai_addrlen) == 0 { return false }
        if errno == ECONNREFUSED { return true }
        guard errno == EINPROGRESS else { return false }
        var poller = pollfd(fd: fd, events: Int16(POLLOUT), revents: 0)
        let ms = Int32(clamping: timeout.components.seconds * 1000 + timeout.components.attoseconds / 1_000_000_000_000_000)
        guard poll(&poller, 1, ms) == 1 else { return false }
        var error: Int32 = 0
        var length = socklen_t(MemoryLayout<Int32>.size)
        guard getsockopt(fd, SOL_SOCKET, SO_ERROR, &error, &length) == 0 else { return false }
        return error == ECONNREFUSED
    }

    /// Host and port of `tcp://host:port` (also tcp4, tcp6, tls+tcp; IPv6 in brackets).
    static func hostAndPort(_ address: String) -> (String, String)? {
        guard let scheme = ["tcp://", "tcp4://", "tcp6://", "tls+tcp://"].first(where: address.hasPrefix) else { return nil }
        let rest = address.dropFirst(scheme.count)
        guard let colon = rest.lastIndex(of: ":") else { return nil }
        var host = String(rest[..<colon])
        if host.hasPrefix("["), host.hasSuffix("]") { host = String(host.dropFirst().dropLast()) }
        let port = String(rest[rest.index(after: colon)...])
        guard !host.isEmpty, !port.isEmpty, port.allSatisfy(\.isNumber) else { return nil }
        return (host, port)
    }
}
