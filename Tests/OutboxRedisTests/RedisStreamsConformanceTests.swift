import Foundation
import Logging
import Outbox
import OutboxRedis
import OutboxTesting
import RESP
import TestSupport
import Testing

struct RedisStreamsHarness: BrokerHarness {
    let configuration: RedisConfiguration
    let client: RedisClient

    init() throws {
        configuration = try RedisConfiguration(url: try TestServers.requireRedisURL())
        client = RedisClient(configuration: configuration, logger: Logger(label: "test"))
    }

    var capabilities: BrokerCapabilities { RedisStreams.capabilities }
    func publisher() -> any MessagePublisher { RedisStreamsPublisher(client: client, maxLength: 10_000) }
    func subscriber(group: String, consumer: String, fastRedelivery: Bool, ready: @escaping @Sendable () -> Void) -> any MessageSubscriber {
        // Redelivery cases get a short idle time so it happens within the test.
        RedisStreamsSubscriber(
            redis: configuration,
            configuration: .init(
                group: group,
                consumer: consumer,
                claimIdle: fastRedelivery ? .milliseconds(300) : .seconds(30),
                block: .milliseconds(100)
            ),
            logger: Logger(label: "test"),
            onSubscribed: ready
        )
    }
    func uniqueTopic() -> String { TestServers.uniqueName("streams") }
}

@Suite("Redis Streams conformance", .enabled(if: TestServers.redisEnabled), .timeLimit(.minutes(2)))
struct RedisStreamsConformanceTests {
    @Test(arguments: BrokerConformance.allCases)
    func conformance(_ check: BrokerConformanceCase) async throws {
        try await check.run(try RedisStreamsHarness())
    }

    @Test func declaresPersistenceGroupsAndAcknowledgements() throws {
        let harness = try RedisStreamsHarness()
        let capabilities = harness.publisher().capabilities
        #expect(capabilities == [.persistent, .consumerGroups, .acknowledgements])
    }

    @Test func aConsumerRereadsItsOwnPendingEntriesAfterReconnecting() async throws {
        let harness = try RedisStreamsHarness()
        let topic = harness.uniqueTopic()
        let first = MessageCollector()
        let second = MessageCollector()
        let ready = MessageCollector()
        // The same consumer name twice, as after a restart: the second run gets what the first took.
        try await withThrowingTaskGroup(of: Void.self) { group in
            let stuck = harness.subscriber(group: "g", consumer: "same", fastRedelivery: false) { ready.add(IncomingMessage(brokerID: "", body: "")) }
            group.addTask {
                try await stuck.subscribe(topic: topic) { message in
                    first.add(message)
                    try await Task.sleep(for: .seconds(3600))
                }
            }
            await ready.wait(for: 1)
            try await harness.publisher().publish([OutgoingMessage(id: "1", key: "k", body: "pending-one")], topic: topic)
            await first.wait(for: 1)
            group.cancelAll()
            try? await group.waitForAll()
        }
        let restarted = RedisStreamsSubscriber(
            redis: harness.configuration,
            configuration: .init(group: "g", consumer: "same", claimIdle: .seconds(3600), block: .milliseconds(100)),
            logger: Logger(label: "test")
        )
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { try await restarted.subscribe(topic: topic) { second.add($0) } }
            await second.wait(for: 1)
            group.cancelAll()
        }
        #expect(second.bodies == ["pending-one"])
    }
}
