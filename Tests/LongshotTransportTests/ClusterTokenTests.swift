import LongshotTransport
import Testing

struct ClusterTokenTests {
    @Test func clusterTokensAreRandomHex() {
        let a = ClusterToken.generate()
        let b = ClusterToken.generate()
        #expect(a.count == 32)
        #expect(ClusterToken.isWellFormed(a))
        #expect(a != b)
        #expect(!ClusterToken.isWellFormed("xyz"))
    }
}
