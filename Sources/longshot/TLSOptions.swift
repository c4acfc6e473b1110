import ArgumentParser
import Foundation
import LongshotTransport

/// Certificates for `tls+tcp://` addresses, shared by the coordinator, workers and client commands.
struct TLSOptions: ParsableArguments {
    @Option(help: ArgumentHelp("CA certificate (PEM) that signs every peer's certificate (or LONGSHOT_TLS_CA).", valueName: "file"))
    var tlsCa: String?

    @Option(help: ArgumentHelp("This process's certificate (PEM) for tls+tcp:// (or LONGSHOT_TLS_CERT).", valueName: "file"))
    var tlsCert: String?

    @Option(help: ArgumentHelp("Its private key (PEM, mode 0600) (or LONGSHOT_TLS_KEY).", valueName: "file"))
    var tlsKey: String?

    /// The settings from the flags, else the environment; nil when none is given.
    /// - Throws: when only some of the three are given.
    func settings(_ env: [String: String] = ProcessInfo.processInfo.environment) throws -> TLSSettings? {
        let ca = tlsCa ?? env["LONGSHOT_TLS_CA"]
        let cert = tlsCert ?? env["LONGSHOT_TLS_CERT"]
        let key = tlsKey ?? env["LONGSHOT_TLS_KEY"]
        let given = [ca, cert, key].compactMap { $0 }.filter { !$0.isEmpty }
        if given.isEmpty { return nil }
        guard let ca, let cert, let key, given.count == 3 else {
            throw fail("tls: give all of --tls-ca, --tls-cert and --tls-key (or LONGSHOT_TLS_CA, LONGSHOT_TLS_CERT, LONGSHOT_TLS_KEY)")
        }
        return TLSSettings(caFile: ca, certificateFile: cert, keyFile: key)
    }
}
