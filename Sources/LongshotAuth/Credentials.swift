import Foundation
import LongshotProtocol
import Yams

/// What a credential may do. Workers run leases; clients submit jobs, read the farm and cancel or rerun
/// their own jobs; admins do everything a client does, to any job, and drain, block and unblock workers.
public enum Role: String, Sendable, Hashable, CaseIterable {
    case worker, client, admin

    /// The section of a credentials file that lists this role's tokens.
    public var section: String { rawValue + "s" }
}

/// Who sent a request: the name its credential has in the coordinator's credentials, and its role.
public struct Identity: Sendable, Hashable, CustomStringConvertible {
    public var name: String
    public var role: Role

    public init(name: String, role: Role) {
        self.name = name
        self.role = role
    }

    public var description: String { "\(role.rawValue) \(name)" }
}

/// The coordinator's credentials: named tokens for each role.
///
/// ```yaml
/// workers:
///   gpu-rack-1: 5f0c…        # name: token (at least 16 characters)
/// clients:
///   alice: 9b2e…
/// admins:
///   ops: c47a…
/// ```
/// A token is looked up in time that depends only on the number and length of the tokens, never on
/// which one matched or how many leading bytes did.
public struct Credentials: Sendable {
    private struct Entry: Sendable {
        var token: [UInt8]
        var identity: Identity
    }

    private var entries: [Entry] = []

    /// The shortest token accepted.
    public static let minimumTokenLength = 16

    public init() {}

    /// Parses a credentials file's text; `source` names it in errors.
    /// - Throws: ``CredentialsError`` naming the line, section or entry that is wrong.
    public init(yaml text: String, source: String) throws(CredentialsError) {
        let node: Node?
        do {
            node = try Yams.compose(yaml: text)
        } catch {
            throw CredentialsError("\(source): not YAML: \(Self.oneLine(error))")
        }
        guard let mapping = node?.mapping else {
            throw CredentialsError("\(source): expected sections \(Role.allCases.map(\.section).joined(separator: ", ")) at the top")
        }
        for (key, value) in mapping {
            let section = key.string ?? ""
            guard let role = Role.allCases.first(where: { $0.section == section }) else {
                throw CredentialsError("\(source): line \(key.mark?.line ?? 0): unknown section '\(section)' (expected workers, clients or admins)")
            }
            if value.null != nil { continue }
            guard let names = value.mapping else {
                throw CredentialsError("\(source): line \(value.mark?.line ?? 0): \(section) must map names to tokens")
            }
            for (nameNode, tokenNode) in names {
                let line = nameNode.mark?.line ?? 0
                guard let name = nameNode.string, let token = tokenNode.string else {
                    throw CredentialsError("\(source): line \(line): \(section) entries are name: token")
                }
                do {
                    try add(token: token, as: Identity(name: name, role: role))
                } catch {
                    throw CredentialsError("\(source): line \(line): \(error.message)")
                }
            }
        }
    }

    /// Reads a credentials file; refuses one that others than its owner can read.
    public static func load(path: String) throws(CredentialsError) -> Credentials {
        var info = stat()
        guard stat(path, &info) == 0 else {
            throw CredentialsError("credentials: cannot read \(path): \(String(cString: strerror(errno)))")
        }
        guard info.st_mode & 0o077 == 0 else {
            throw CredentialsError(
                "credentials: \(path) is readable by others (mode \(String(info.st_mode & 0o777, radix: 8))): chmod 600 it")
        }
        guard let data = FileManager.default.contents(atPath: path), let text = String(data: data, encoding: .utf8) else {
            throw CredentialsError("credentials: cannot read \(path)")
        }
        return try Credentials(yaml: text, source: path)
    }

    /// Adds a token for `identity`.
    /// - Throws: when the token is short or not printable, the name is not a plain word, or either is taken.
    public mutating func add(token: String, as identity: Identity) throws(CredentialsError) {
        guard identity.name.range(of: #"^[A-Za-z0-9][A-Za-z0-9._@-]{0,63}$"#, options: .regularExpression) != nil else {
            throw CredentialsError("credential name '\(identity.name)' must be 1-64 letters, digits, '.', '_', '@' or '-'")
        }
        let bytes = Array(token.utf8)
        guard bytes.count >= Self.minimumTokenLength, bytes.count <= 1024, bytes.allSatisfy({ (0x21...0x7e).contains($0) }) else {
            throw CredentialsError(
                "the token of \(identity) must be \(Self.minimumTokenLength)-1024 printable characters without spaces (longshot up makes 32 hex characters)")
        }
        if entries.contains(where: { $0.identity.name == identity.name && $0.identity.role == identity.role }) {
            throw CredentialsError("\(identity) is listed twice")
        }
        if let other = entries.first(where: { constantTimeEqual($0.token, bytes) }) {
            throw CredentialsError("\(identity) has the same token as \(other.identity): every credential needs its own")
        }
        entries.append(Entry(token: bytes, identity: identity))
    }

    /// The identity whose token this is, comparing against every token in full (no early exit).
    public func identify(_ token: String) -> Identity? {
        let bytes = Array(token.utf8)
        var found: Identity?
        for entry in entries where constantTimeEqual(entry.token, bytes) {
            found = entry.identity
        }
        return found
    }

    /// How many credentials each role has.
    public func count(_ role: Role) -> Int { entries.count { $0.identity.role == role } }

    public var isEmpty: Bool { entries.isEmpty }

    private static func oneLine(_ error: any Error) -> String {
        "\(error)".split(separator: "\n").map { $0.trimmingCharacters(in: .whitespaces) }.joined(separator: " ")
    }
}

/// A credentials file or token that cannot be used, in one line.
public struct CredentialsError: Error, CustomStringConvertible, Sendable {
    public var message: String
    public init(_ message: String) { self.message = message }
    public var description: String { message }
}
