import Foundation
import Logging
import Outbox
import OutboxRedis
import OutboxTesting
import RESP
import TestSupport
import Testing

/// Streams on one server, or on the cluster of `scripts/services start-cluster`; one stream or several partitions.
struct RedisStreamsHarness: BrokerHarness {
    let configuration: RedisConfiguration
    let client: any RedisCommandRunner
    let partitions: Int

    init(cluster: Bool = false, partitions: Int = 1) throws {
        configuration = try RedisConfiguration(url: cluster ? try TestServers.requireRedisClusterURL() : try TestServers.requireRedisURL())
        client = configuration.makeClient(logger: Logger(label: "test"))
        self.partitions = partitions
    }

    var capabilities: BrokerCapabilities { RedisStreams.capabilities }
    func publisher() -> any MessagePublisher { RedisStreamsPublisher(client: client, maxLength: 10_000, partitions: partitions) }
    func subscriber(group: String, consumer: String, fastRedelivery: Bool, ready: @escaping @Sendable () -> Void) -> any MessageSubscriber {
        // Redelivery cases get a short idle time so it happens within the test.
        RedisStreamsSubscriber(
            redis: configuration,
            configuration: .init(
                group: group,
                consumer: consumer,
                claimIdle: fastRedelivery ? .milliseconds(300) : .seconds(30),
                block: .milliseconds(100),
                partitions: partitions
            ),
            logger: Logger(label: "test"),
            onSubscribed: ready
        )
    }
    func uniqueTopic() -> String { TestServers.uniqueName("streams") }
    func monitor() -> (any TopicMonitor)? { RedisStreamsMonitor(client: client, partitions: partitions) }
    /// A partitioned topic keeps each key's order only.
    var ordering: MessageOrder { partitions > 1 ? .perKey : .publishOrder }
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

@Suite("Redis Cluster streams conformance", .enabled(if: TestServers.redisClusterEnabled), .timeLimit(.minutes(3)))
struct RedisClusterStreamsConformanceTests {
    @Test("one stream", arguments: BrokerConformance.allCases)
    func singleStream(_ check: BrokerConformanceCase) async throws {
        try await check.run(try RedisStreamsHarness(cluster: true))
    }

    @Test("three partitions", arguments: BrokerConformance.allCases)
    func partitioned(_ check: BrokerConformanceCase) async throws {
        try await check.run(try RedisStreamsHarness(cluster: true, partitions: 3))
    }
}

@Suite("Redis Streams conformance, partitioned", .enabled(if: TestServers.redisEnabled), .timeLimit(.minutes(3)))
struct RedisPartitionedStreamsConformanceTests {
    @Test(arguments: BrokerConformance.allCases)
    func conformance(_ check: BrokerConformanceCase) async throws {
        try await check.run(try RedisStreamsHarness(partitions: 4))
    }
}
