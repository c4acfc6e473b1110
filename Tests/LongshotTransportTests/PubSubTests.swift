import Foundation
import LongshotTransport
import Testing

@Suite(.timeLimit(.minutes(1)))
struct PubSubTests {
    /// PUB drops messages until a subscriber is connected: publish in a loop while receiving.
    private func publishUntilCancelled(_ pub: PubSocket, _ messages: [(String, String)]) -> Task<Void, Never> {
        Task {
            while !Task.isCancelled {
                for (topic, text) in messages {
                    try? await pub.publish(topic: topic, payload: Data(text.utf8))
                }
                try? await Task.sleep(for: .milliseconds(20))
            }
        }
    }

    @Test(arguments: [ephemeralTCP, temporaryIPCAddress()])
    func subscriberReceivesOnlyItsTopic(address: String) async throws {
        let pub = try PubSocket(listen: address)
        let sub = try SubSocket(dial: pub.boundAddress)
        try sub.subscribe(topic: "job-1")
        let publisher = publishUntilCancelled(pub, [("job-12", "other job"), ("job-1", "mine"), ("", "cluster"), ("job-2", "other")])
        defer { publisher.cancel() }
        let received = try await withDeadline(.seconds(15)) {
            var received: [SubSocket.Message] = []
            while received.count < 10 { received.append(try await sub.receive(timeout: .seconds(10))) }
            return received
        }
        #expect(received.allSatisfy { $0.topic == "job-1" && $0.payload == Data("mine".utf8) })
        sub.close()
        pub.close()
    }

    @Test func subscribeAllReceivesEveryTopic() async throws {
        let pub = try PubSocket(listen: ephemeralTCP)
        let sub = try SubSocket(dial: pub.boundAddress)
        try sub.subscribeAll()
        let publisher = publishUntilCancelled(pub, [("job-1", "a"), ("", "cluster"), ("job-2", "b")])
        defer { publisher.cancel() }
        let topics = try await withDeadline(.seconds(15)) {
            var topics: Set<String> = []
            while topics.count < 3 { topics.insert(try await sub.receive(timeout: .seconds(10)).topic) }
            return topics
        }
        #expect(topics == ["job-1", "", "job-2"])
        sub.close()
        pub.close()
    }

    @Test func receiveWithoutPublisherTimesOut() async throws {
        let address = temporaryIPCAddress()
        let sub = try SubSocket(dial: address)
        try sub.subscribeAll()
        let error = try await withDeadline(.seconds(5)) {
            await #expect(throws: TransportError.self) { _ = try await sub.receive(timeout: .milliseconds(200)) }
        }
        #expect(error?.kind == .timedOut)
        #expect(error?.address == address)
        sub.close()
    }

    @Test func oversizeEventIsRejected() async throws {
        let pub = try PubSocket(listen: ephemeralTCP, options: TransportOptions(maxMessageBytes: 1024))
        let error = await #expect(throws: TransportError.self) {
            try await pub.publish(topic: "job-1", payload: patternBytes(2048))
        }
        #expect(error?.kind == .messageTooLarge)
        pub.close()
    }
}
