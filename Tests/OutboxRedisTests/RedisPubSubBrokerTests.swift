import Logging
import Outbox
import OutboxRedis
import OutboxTesting
import RESP
import TestSupport
import Testing

@Suite(.enabled(if: TestServers.redisEnabled), .timeLimit(.minutes(2)))
struct RedisPubSubBrokerTests {
    let logger = Logger(label: "test")

    @Test func declaresAtMostOnce() throws {
        let configuration = try RedisConfiguration(url: try TestServers.requireRedisURL())
        #expect(RedisPubSubPublisher(client: RedisClient(configuration: configuration, logger: logger)).capabilities.isEmpty)
        #expect(RedisPubSubSubscriber(configuration: configuration, logger: logger).capabilities.isEmpty)
    }

    @Test(.timeLimit(.minutes(1)))
    func aPipelinedBatchArrivesInOrderAtEverySubscriber() async throws {
        let configuration = try RedisConfiguration(url: try TestServers.requireRedisURL())
        let topic = TestServers.uniqueName("pubsub")
        let client = RedisClient(configuration: configuration, logger: logger)
        let publisher = RedisPubSubPublisher(client: client)
        let (ready, readyContinuation) = AsyncStream.makeStream(of: Void.self)
        let streams = (0..<2).map { _ in AsyncStream.makeStream(of: IncomingMessage.self) }
        let messages = (0..<500).map { OutgoingMessage(id: "\($0)", key: "k\($0 % 7)", body: #"{"n":\#($0)}"#) }
        try await withThrowingTaskGroup(of: Void.self) { group in
            for (_, continuation) in streams {
                let subscriber = RedisPubSubSubscriber(configuration: configuration, logger: logger) { readyContinuation.yield() }
                group.addTask { try await subscriber.subscribe(topic: topic) { continuation.yield($0) } }
            }
            var readiness = ready.makeAsyncIterator()
            for _ in streams { await readiness.next() }
            try await publisher.publish(messages, topic: topic)
            for (stream, _) in streams {
                var iterator = stream.makeAsyncIterator()
                var bodies: [String] = []
                while bodies.count < messages.count, let message = await iterator.next() { bodies.append(message.body) }
                #expect(bodies == messages.map(\.body))
            }
            group.cancelAll()
        }
        await client.close()
    }

    @Test func publishingWithRedisDownThrows() async throws {
        // A port nothing listens on: the publish fails and the relay keeps the batch pending.
        let configuration = RedisConfiguration(host: "127.0.0.1", port: 1, connectTimeout: .milliseconds(500))
        let publisher = RedisPubSubPublisher(client: RedisClient(configuration: configuration, logger: logger))
        await #expect(throws: RedisError.self) {
            try await publisher.publish([OutgoingMessage(id: "1", key: "k", body: "{}")], topic: "t")
        }
    }
}
