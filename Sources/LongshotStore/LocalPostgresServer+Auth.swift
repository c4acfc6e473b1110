import Foundation

extension LocalPostgresServer {
    /// The only line of `pg_hba.conf`: Unix-socket connections with a scram-sha-256 password, nothing else.
    static let hostBasedAuthentication = """
        # Written by Longshot: no TCP listener; a Unix-socket connection needs the password in ../pgpass.
        local all all scram-sha-256

        """

    /// Runs `initdb` with a new random password for `postgres`, kept in ``passwordFile``.
    func initialise() throws {
        let password = try ensurePasswordFile()
        let passwordInput = directory + "/initdb-password"
        try writePrivateFile(passwordInput, password + "\n")
        defer { try? FileManager.default.removeItem(atPath: passwordInput) }
        try run(
            tool("initdb"),
            ["-D", dataDirectory, "-U", "postgres", "-A", "scram-sha-256", "--pwfile", passwordInput,
             "-E", "UTF8", "--no-locale", "--no-sync"])
    }

    /// Moves a data directory made with trust authentication (by Longshot before passwords) onto passwords:
    /// sets `postgres`'s password while trust still admits, writes `pg_hba.conf` and reloads. Needs the server up.
    func requirePasswords() throws {
        let hbaPath = dataDirectory + "/pg_hba.conf"
        let hba = (try? String(contentsOfFile: hbaPath, encoding: .utf8)) ?? ""
        let trusts = hba.split(separator: "\n").contains { line in
            !line.trimmingCharacters(in: .whitespaces).hasPrefix("#") && line.split(separator: " ").contains("trust")
        }
        guard trusts || !FileManager.default.fileExists(atPath: passwordFile) else { return }
        let password = try ensurePasswordFile()
        let connection = try PostgresConnection.connect(url(database: "postgres"), retryFor: .seconds(10))
        try connection.query("ALTER ROLE postgres PASSWORD '\(password)'")
        try writePrivateFile(hbaPath, Self.hostBasedAuthentication)
        try connection.query("SELECT pg_reload_conf()")
    }

    /// The password in ``passwordFile``, made (64 hex digits, mode 0600) when the file does not exist.
    func ensurePasswordFile() throws -> String {
        if let text = try? String(contentsOfFile: passwordFile, encoding: .utf8),
            let password = text.split(separator: "\n").first?.split(separator: ":").last, password.count >= 32
        {
            return String(password)
        }
        var generator = SystemRandomNumberGenerator()
        let password = (0..<32).map { _ in String(format: "%02x", UInt8.random(in: 0...255, using: &generator)) }.joined()
        try writePrivateFile(passwordFile, "*:*:*:postgres:\(password)\n")
        return password
    }

    /// Writes a file readable by its owner alone; as root the owner is the `postgres` user.
    func writePrivateFile(_ path: String, _ text: String) throws {
        guard FileManager.default.createFile(atPath: path, contents: Data(text.utf8), attributes: [.posixPermissions: 0o600])
        else { throw LocalPostgresError("cannot write \(path)") }
        chmod(path, 0o600)
        if Self.runningAsRoot { try run("/bin/chown", ["postgres:postgres", path], asServerUser: false) }
    }
}
