import Foundation
import LongshotAuth

/// The local cluster's credentials: one token per role in the state directory (each mode 0600), and the
/// coordinator's credentials file made from them.
///
/// `STATE/token` is the admin's (the person who ran `up`, and the CLI's default), `STATE/client-token` a
/// client's to hand to someone who may submit but not administer, `STATE/worker-token` the workers'.
public struct LocalCredentials: Sendable {
    public var admin: String
    public var client: String
    public var worker: String

    /// The names the tokens have in the credentials file.
    public static let adminName = "owner"
    public static let clientName = "guest"
    public static let workerName = "local-workers"

    /// Reads the tokens, creating those that are missing, and writes `STATE/credentials.yaml`.
    public static func prepare(_ paths: ClusterPaths) throws(LocalClusterError) -> LocalCredentials {
        let credentials = LocalCredentials(
            admin: try TokenFile.readOrCreate(paths.token), client: try TokenFile.readOrCreate(paths.clientToken),
            worker: try TokenFile.readOrCreate(paths.workerToken))
        let text = """
            # Written by `longshot up` from the token files beside it; rewritten on every `up`.
            workers:
              \(workerName): \(credentials.worker)
            clients:
              \(clientName): \(credentials.client)
            admins:
              \(adminName): \(credentials.admin)

            """
        do {
            _ = try Credentials(yaml: text, source: paths.credentials)
        } catch {
            throw LocalClusterError("the token files in \(paths.root) cannot be used: \(error.message)")
        }
        try TokenFile.writePrivate(text, to: paths.credentials)
        return credentials
    }
}
