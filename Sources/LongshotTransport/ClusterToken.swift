/// The shared secret a worker or CLI presents to the coordinator.
public enum ClusterToken {
    /// A fresh random token: 32 lowercase hex characters (128 bits) from the system's
    /// cryptographically secure generator (`SystemRandomNumberGenerator`, getrandom on Linux).
    public static func generate() -> String {
        var generator = SystemRandomNumberGenerator()
        var token = ""
        token.reserveCapacity(32)
        for _ in 0..<2 {
            let word = generator.next() as UInt64
            let digits = String(word, radix: 16)
            token += String(repeating: "0", count: 16 - digits.count) + digits
        }
        return token
    }

    /// Whether `token` looks like one ``generate()`` makes (32 hex characters).
    public static func isWellFormed(_ token: String) -> Bool {
        token.utf8.count == 32 && token.utf8.allSatisfy { (48...57).contains($0) || (97...102).contains($0) || (65...70).contains($0) }
    }
}
