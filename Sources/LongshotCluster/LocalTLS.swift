import Foundation
import LongshotTransport

/// The local cluster's private CA and certificates for mutual TLS (`longshot up --tls`), made once with
/// `openssl` in `STATE/tls/` (keys mode 0600): the coordinator's (named for the hosts it listens on), the
/// workers' and the CLI's, all signed by the CA.
public struct LocalTLS: Sendable {
    public let directory: String

    public init(_ paths: ClusterPaths) { directory = paths.root + "/tls" }

    public var caFile: String { directory + "/ca.pem" }

    /// The certificate and key of `role` (`coordinator`, `worker`, `client`).
    public func settings(_ role: String) -> TLSSettings {
        TLSSettings(caFile: caFile, certificateFile: "\(directory)/\(role).pem", keyFile: "\(directory)/\(role).key")
    }

    /// Whether the CA and every certificate are there.
    public var isComplete: Bool {
        ([caFile] + ["coordinator", "worker", "client"].flatMap { ["\(directory)/\($0).pem", "\(directory)/\($0).key"] })
            .allSatisfy { FileManager.default.fileExists(atPath: $0) }
    }

    /// Makes the CA and certificates that are missing. The coordinator's names `localhost`, 127.0.0.1
    /// and `hosts` (the host it listens on, when it is not a wildcard).
    public func prepare(hosts: [String]) throws(LocalClusterError) {
        do {
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        } catch {
            throw LocalClusterError("cannot create \(directory): \(error.localizedDescription)")
        }
        chmod(directory, 0o700)
        if isComplete { return }
        let key = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes"]
        try openssl(
            ["req", "-x509"] + key + [
                "-keyout", "ca.key", "-out", "ca.pem", "-days", "3650", "-subj", "/CN=Longshot local CA",
                "-addext", "basicConstraints=critical,CA:TRUE", "-addext", "keyUsage=critical,keyCertSign,cRLSign",
            ])
        // An address also as a DNS name: mbedTLS (NNG's TLS engine) matches the dialled host only against
        // DNS names, other TLS stacks against IP entries.
        var names: [String] = []
        for host in ["localhost", "127.0.0.1"] + hosts where !NNGAddress.isWildcard(host) {
            let bare = host.trimmingCharacters(in: CharacterSet(charactersIn: "[]"))
            let isAddress = bare.contains(":") || bare.allSatisfy { $0.isNumber || $0 == "." }
            for entry in (isAddress ? ["IP:" + bare, "DNS:" + bare] : ["DNS:" + bare]) where !names.contains(entry) {
                names.append(entry)
            }
        }
        for (role, usage, altNames) in [
            ("coordinator", "serverAuth,clientAuth", names), ("worker", "clientAuth", []), ("client", "clientAuth", []),
        ] {
            let extensions = ["basicConstraints=CA:FALSE", "keyUsage=critical,digitalSignature", "extendedKeyUsage=\(usage)"]
                + (altNames.isEmpty ? [] : ["subjectAltName=" + altNames.joined(separator: ",")])
            let extFile = "\(directory)/\(role).ext"
            do {
                try (extensions.joined(separator: "\n") + "\n").write(toFile: extFile, atomically: true, encoding: .utf8)
            } catch {
                throw LocalClusterError("cannot write \(extFile): \(error.localizedDescription)")
            }
            try openssl(["req"] + key + ["-keyout", "\(role).key", "-out", "\(role).csr", "-subj", "/CN=longshot-\(role)"])
            try openssl([
                "x509", "-req", "-in", "\(role).csr", "-CA", "ca.pem", "-CAkey", "ca.key", "-CAcreateserial", "-out", "\(role).pem",
                "-days", "825", "-extfile", "\(role).ext",
            ])
            try? FileManager.default.removeItem(atPath: "\(directory)/\(role).csr")
            try? FileManager.default.removeItem(atPath: extFile)
        }
        for file in (try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? [] where file.hasSuffix(".key") {
            chmod("\(directory)/\(file)", 0o600)
        }
    }

    private func openssl(_ arguments: [String]) throws(LocalClusterError) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["openssl"] + arguments
        process.currentDirectoryURL = URL(fileURLWithPath: directory)
        let errors = Pipe()
        process.standardError = errors
        process.standardOutput = FileHandle.nullDevice
        do {
            try process.run()
        } catch {
            throw LocalClusterError("--tls needs openssl (apt-get install openssl): \(error.localizedDescription)")
        }
        let text = String(decoding: errors.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        guard process.terminationStatus == 0 else {
            let last = text.split(separator: "\n").last.map(String.init) ?? "exit \(process.terminationStatus)"
            throw LocalClusterError("openssl \(arguments.first ?? "") failed in \(directory): \(last)")
        }
    }
}
