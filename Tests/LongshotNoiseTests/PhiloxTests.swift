import Testing

@testable import LongshotNoise

/// Known-answer vectors from Random123's `kat_vectors` for philox4x32 with 10 rounds. The key there is
/// (k0, k1); this code keys Philox with a UInt64 seed whose low word is k0 and high word is k1.
@Suite("Philox4x32-10")
struct PhiloxTests {
    struct Vector: Sendable, CustomTestStringConvertible {
        var counter: (UInt32, UInt32, UInt32, UInt32)
        var key: (UInt32, UInt32)
        var expected: (UInt32, UInt32, UInt32, UInt32)
        var testDescription: String { "key \(String(key.0, radix: 16)) \(String(key.1, radix: 16))" }
    }

    static let vectors: [Vector] = [
        Vector(
            counter: (0, 0, 0, 0), key: (0, 0),
            expected: (0x6627_e8d5, 0xe169_c58d, 0xbc57_ac4c, 0x9b00_dbd8)),
        Vector(
            counter: (0xffff_ffff, 0xffff_ffff, 0xffff_ffff, 0xffff_ffff), key: (0xffff_ffff, 0xffff_ffff),
            expected: (0x408f_276d, 0x41c8_3b0e, 0xa20b_c7c6, 0x6d54_51fd)),
        Vector(
            counter: (0x243f_6a88, 0x85a3_08d3, 0x1319_8a2e, 0x0370_7344), key: (0xa409_3822, 0x299f_31d0),
            expected: (0xd16c_fe09, 0x94fd_cceb, 0x5001_e420, 0x2412_6ea1)),
    ]

    static func seed(_ key: (UInt32, UInt32)) -> UInt64 { UInt64(key.0) | (UInt64(key.1) << 32) }

    @Test("Random123 known-answer vectors", arguments: vectors)
    func knownAnswers(_ v: Vector) {
        let philox = Philox4x32(seed: Self.seed(v.key))
        #expect(philox.key == v.key)
        let out = philox.block(v.counter.0, v.counter.1, v.counter.2, v.counter.3)
        #expect(out == v.expected, "got \([out.0, out.1, out.2, out.3].map { String($0, radix: 16) })")
    }

    @Test("the seed's low word is key word 0, its high word key word 1")
    func keyLayout() {
        let philox = Philox4x32(seed: 0x299f_31d0_a409_3822)
        #expect(philox.key.0 == 0xa409_3822)
        #expect(philox.key.1 == 0x299f_31d0)
    }

    @Test("a pure function: the same counter gives the same block, a neighbouring counter a different one")
    func pure() {
        let philox = Philox4x32(seed: 42)
        #expect(philox.block(1, 2, 3, 4) == philox.block(1, 2, 3, 4))
        #expect(philox.block(1, 2, 3, 4) != philox.block(1, 2, 3, 5))
        #expect(Philox4x32(seed: 42) == Philox4x32(seed: 42))
        #expect(Philox4x32(seed: 42) != Philox4x32(seed: 43))
    }

    @Test("CounterRandom draws uniforms in [0, 1) with a mean near 1/2, keyed by seed and domain")
    func counterRandom() {
        let random = CounterRandom(seed: 9, domain: 1)
        var sum = 0.0
        let n = 20_000
        for i in 0..<n {
            let u = random.uniform(i, 3, 7)
            #expect(u >= 0 && u < 1)
            sum += u
        }
        #expect(abs(sum / Double(n) - 0.5) < 0.01)
        #expect(random.uniform(5) == CounterRandom(seed: 9, domain: 1).uniform(5))
        #expect(random.uniform(5) != CounterRandom(seed: 10, domain: 1).uniform(5))
        #expect(random.uniform(5) != CounterRandom(seed: 9, domain: 2).uniform(5))
        let scaled = random.uniform(in: 2...4, 11)
        #expect(scaled >= 2 && scaled < 4)
    }
}
