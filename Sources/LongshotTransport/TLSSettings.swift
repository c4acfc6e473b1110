import CNNG
import Foundation

/// The certificates a socket uses on `tls+tcp://` addresses: mutual TLS, each side proving itself with
/// a certificate signed by the farm's CA and verifying the other's.
///
/// Listeners require a client certificate (`NNG_TLS_AUTH_MODE_REQUIRED`); dialers verify the server's
/// certificate against the CA and its name against the host they dial (or ``serverName``).
public struct TLSSettings: Sendable, Equatable {
    /// PEM file of the CA certificate(s) that sign the peers' certificates.
    public var caFile: String
    /// PEM file of this side's certificate (chain).
    public var certificateFile: String
    /// PEM file of its private key (unencrypted; keep it mode 0600).
    public var keyFile: String
    /// The name the server's certificate must carry, when it is not the dialled host.
    public var serverName: String?

    public init(caFile: String, certificateFile: String, keyFile: String, serverName: String? = nil) {
        self.caFile = caFile
        self.certificateFile = certificateFile
        self.keyFile = keyFile
        self.serverName = serverName
    }

    /// Whether an address uses TLS.
    public static func isTLS(_ address: String) -> Bool { address.hasPrefix("tls+tcp") }

    /// A configuration for one listener or dialer of `address`; the caller sets it and frees it.
    func makeConfig(server: Bool, address: String) throws(TransportError) -> OpaquePointer {
        let ca = try Self.read(caFile, "CA certificate", address)
        let certificate = try Self.read(certificateFile, "certificate", address)
        let key = try Self.read(keyFile, "key", address)
        var config: OpaquePointer?
        try nngCheck(nng_tls_config_alloc(&config, server ? NNG_TLS_MODE_SERVER : NNG_TLS_MODE_CLIENT), "tls", address)
        guard let config else { throw TransportError.nng(Int32(NNG_ENOMEM.rawValue), operation: "tls", address: address) }
        do throws(TransportError) {
            try check(nng_tls_config_ca_chain(config, ca, nil), "the CA certificate \(caFile)", address)
            try check(nng_tls_config_own_cert(config, certificate, key, nil), "the certificate \(certificateFile) with key \(keyFile)", address)
            try nngCheck(nng_tls_config_auth_mode(config, NNG_TLS_AUTH_MODE_REQUIRED), "tls", address)
            if !server, let name = serverName ?? Self.host(of: address) {
                try nngCheck(nng_tls_config_server_name(config, name), "tls", address)
            }
        } catch {
            nng_tls_config_free(config)
            throw error
        }
        return config
    }

    private func check(_ rv: Int32, _ what: String, _ address: String) throws(TransportError) {
        guard rv == 0 else {
            throw TransportError(kind: .invalidAddress, operation: "tls", address: address, code: rv, detail: "\(what) cannot be used: \(String(cString: nng_strerror(rv)))")
        }
    }

    private static func read(_ path: String, _ what: String, _ address: String) throws(TransportError) -> String {
        guard let data = FileManager.default.contents(atPath: path), let text = String(data: data, encoding: .utf8),
            text.contains("-----BEGIN")
        else {
            throw TransportError(kind: .invalidAddress, operation: "tls", address: address, detail: "cannot read the \(what) PEM file \(path)")
        }
        return text
    }

    /// The host of `tls+tcp://host:port`, without IPv6 brackets.
    static func host(of address: String) -> String? {
        guard let scheme = address.range(of: "://") else { return nil }
        let rest = address[scheme.upperBound...]
        guard let colon = rest.lastIndex(of: ":") else { return nil }
        let host = rest[..<colon].trimmingCharacters(in: CharacterSet(charactersIn: "[]"))
        return host.isEmpty ? nil : host
    }
}
