import Foundation
import LongshotClient
import LongshotCluster
import LongshotTestSupport
import LongshotTransport
import Testing

extension FarmTests {
    /// Mutual TLS between the coordinator, workers and clients (issue 10). The whole farm suite also runs
    /// over TLS with `LONGSHOT_FARM_TLS=1`.
    @Suite("mutual TLS")
    struct MutualTLS {
        @Test("over tls+tcp:// a job renders the same frames as render; a client with another CA's certificate, or none, is refused")
        func farmOverTLS() async throws {
            let reference = try ReferenceRenders.video(FarmHarness.smallJob)
            try await withFarm("tls", workers: 1, tls: true) { farm in
                #expect(farm.address.hasPrefix("tls+tcp://"))
                let id = try farm.submit(farmPrompt, FarmHarness.smallJob)
                try await farm.waitForJob(id)
                try farm.expectSameFrames(id, as: reference, name: "tls.mp4")

                let stranger = try ScratchDirectory("longshot-other-ca")
                defer { stranger.remove() }
                let other = LocalTLS(ClusterPaths(root: stranger.url.path))
                try other.prepare(hosts: ["127.0.0.1"])
                var foreign = other.settings("client")
                let foreignClient = try FarmClient(address: farm.address, token: farm.token, timeout: .seconds(3), tls: foreign)
                await #expect(throws: FarmClientError.self) { _ = try await foreignClient.status() }
                // Our CA but another CA's certificate: the coordinator refuses the client.
                foreign.caFile = farm.tls!.caFile
                let unsigned = try FarmClient(address: farm.address, token: farm.token, timeout: .seconds(3), tls: foreign)
                await #expect(throws: FarmClientError.self) { _ = try await unsigned.status() }
                let plain = try FarmClient(
                    address: farm.address.replacingOccurrences(of: "tls+tcp://", with: "tcp://"), token: farm.token, timeout: .seconds(3))
                await #expect(throws: FarmClientError.self) { _ = try await plain.status() }
                let cli = try LongshotProcess.run(
                    ["status"], in: farm.scratch.url,
                    fullEnvironment: farm.environment.filter { !$0.key.hasPrefix("LONGSHOT_TLS_") }, timeout: .seconds(30))
                #expect(cli.status != 0 && cli.stderr.contains("needs certificates"), "\(cli.stderr)")
                _ = try await farm.client().status()
            }
        }
    }
}
