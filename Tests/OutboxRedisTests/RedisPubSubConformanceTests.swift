import Logging
import Outbox
import OutboxRedis
import OutboxTesting
import RESP
import TestSupport
import Testing

struct RedisPubSubHarness: BrokerHarness {
    let configuration: RedisConfiguration
    let client: RedisClient

    init() throws {
        configuration = try RedisConfiguration(url: try TestServers.requireRedisURL())
        client = RedisClient(configuration: configuration, logger: Logger(label: "test"))
    }

    var capabilities: BrokerCapabilities { [] }
    func publisher() -> any MessagePublisher { RedisPubSubPublisher(client: client) }
    func subscriber(group: String, consumer: String, fastRedelivery: Bool, ready: @escaping @Sendable () -> Void) -> any MessageSubscriber {
        RedisPubSubSubscriber(configuration: configuration, logger: Logger(label: "test"), onSubscribed: ready)
    }
    func uniqueTopic() -> String { TestServers.uniqueName("conformance") }
}

@Suite("Redis Pub/Sub conformance", .enabled(if: TestServers.redisEnabled), .timeLimit(.minutes(2)))
struct RedisPubSubConformanceTests {
    @Test(arguments: BrokerConformance.allCases)
    func conformance(_ check: BrokerConformanceCase) async throws {
        try await check.run(try RedisPubSubHarness())
    }
}
