import Foundation
import LongshotTransport

/// A credential stored in a file readable only by its owner.
public enum TokenFile {
    /// Reads the token at `path`, trimmed; nil when the file does not exist or is empty.
    public static func read(_ path: String) -> String? {
        guard let text = try? String(contentsOfFile: path, encoding: .utf8) else { return nil }
        let token = text.trimmingCharacters(in: .whitespacesAndNewlines)
        return token.isEmpty ? nil : token
    }

    /// Returns the token at `path`, first generating one (``ClusterToken/generate()``) into a new
    /// file with mode 0600 when there is none.
    public static func readOrCreate(_ path: String) throws(LocalClusterError) -> String {
        if let token = read(path) { return token }
        let token = ClusterToken.generate()
        try writePrivate(token + "\n", to: path)
        return token
    }

    /// Writes `text` to `path` with mode 0600 (also when the file existed with another mode).
    public static func writePrivate(_ text: String, to path: String) throws(LocalClusterError) {
        let fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0o600)
        guard fd >= 0 else { throw LocalClusterError("cannot create \(path): \(String(cString: strerror(errno)))") }
        defer { close(fd) }
        fchmod(fd, 0o600)
        let bytes = Array(text.utf8)
        let written = bytes.withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
        guard written == bytes.count else { throw LocalClusterError("cannot write \(path): \(String(cString: strerror(errno)))") }
    }
}
