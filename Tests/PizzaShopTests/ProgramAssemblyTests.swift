import Foundation
import Hummingbird
import HummingbirdTesting
import Logging
import Outbox
import PizzaShop
import PostgresNIO
import RESP
import ServiceLifecycle
import TestSupport
import Testing

@testable import pizza

/// The programs' real wiring (`buildProducerAPI`, `ConsumerInbox`), run in-process: the same
/// functions the `pizza` commands call, on SQLite and on the script's PostgreSQL.
@Suite(.timeLimit(.minutes(2))) struct ProgramAssemblyTests {
    static let logger = Logger(label: "test")

    /// Posts an order through the assembled producer API, then reads it back with its pending event.
    static func orderRoundTrip(_ configuration: ProducerAPIConfiguration) async throws {
        let app = try await buildProducerAPI(configuration, logger: logger)
        try await app.test(.router) { client in
            let created = try await client.execute(
                uri: "/pizza",
                method: .post,
                headers: [.contentType: "application/json"],
                body: ByteBuffer(string: ValidationTests.valid)
            )
            #expect(created.status == .created)
            let body = try ProducerAPITests.json(created.body)
            let id = try #require(body["id"] as? String)
            let eventID = try #require(body["event_id"] as? String)
            let found = try await client.execute(uri: "/pizza/\(id)", method: .get)
            #expect(found.status == .ok)
            let events = try #require(try ProducerAPITests.json(found.body)["events"] as? [[String: Any]])
            #expect(events.map { $0["id"] as? String } == [eventID])
            #expect(events.first?["status"] as? String == "pending")
            let ready = try await client.execute(uri: "/readyz", method: .get)
            #expect(ready.status == .ok)
            // The admin routes exist only with a token.
            let admin = try await client.execute(uri: "/admin/outbox", method: .get)
            #expect(admin.status == (configuration.adminToken == nil ? .notFound : .unauthorized))
        }
    }

    @Test func producerOnSQLite() async throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("assembly-\(UUID().uuidString).sqlite").path
        defer { for suffix in ["", "-wal", "-shm"] { try? FileManager.default.removeItem(atPath: path + suffix) } }
        try await Self.orderRoundTrip(ProducerAPIConfiguration(port: 0, databaseURL: "sqlite:\(path)"))
    }

    @Test(.enabled(if: TestServers.postgresEnabled)) func producerOnPostgreSQL() async throws {
        try await TestSchema.with("assembly") { schema, _ in
            try await Self.orderRoundTrip(ProducerAPIConfiguration(port: 0, databaseURL: schema.url, databaseConnections: 4, adminToken: "secret"))
        }
    }

    /// A database that takes no writes (a table locked by another session) gets a 503 with the JSON
    /// error body within the deadline plus a second, and the API works again once it answers.
    @Test(.enabled(if: TestServers.postgresEnabled)) func aDatabaseThatDoesNotAnswerIs503WithinTheDeadline() async throws {
        try await TestSchema.with("deadline") { schema, pool in
            let configuration = ProducerAPIConfiguration(port: 0, databaseURL: schema.url, databaseConnections: 4, databaseTimeout: .seconds(1))
            let app = try await buildProducerAPI(configuration, logger: Self.logger)
            try await app.test(.router) { client in
                let post = {
                    try await client.execute(
                        uri: "/pizza",
                        method: .post,
                        headers: [.contentType: "application/json"],
                        body: ByteBuffer(string: ValidationTests.valid)
                    )
                }
                #expect(try await post().status == .created)
                let lock = Task {
                    try await pool.transaction(logger: Self.logger) { connection in
                        try await connection.query("LOCK TABLE pizza_orders IN ACCESS EXCLUSIVE MODE", logger: Self.logger)
                        try await connection.query("SELECT pg_sleep(3)", logger: Self.logger)
                    }
                }
                // -- wait until the other session holds the lock
                var held = false
                while !held {
                    let rows = try await pool.queryRows(
                        "SELECT count(*) FROM pg_locks WHERE relation = 'pizza_orders'::regclass AND mode = 'AccessExclusiveLock' AND granted",
                        logger: Self.logger
                    )
                    held = try rows[0].decode(Int.self) == 1
                    if !held { try await Task.sleep(for: .milliseconds(20)) }
                }
                let started = ContinuousClock.now
                let refused = try await post()
                #expect(ContinuousClock.now - started < .seconds(2))
                #expect(refused.status == .serviceUnavailable)
                let error = try #require(try ProducerAPITests.json(refused.body)["error"] as? [String: Any])
                #expect(error["code"] as? String == "unavailable")
                try await lock.value
                #expect(try await post().status == .created)
            }
        }
    }

    @Test func aBadDatabaseURLNamesTheFlag() async throws {
        await #expect {
            _ = try await buildProducerAPI(ProducerAPIConfiguration(databaseURL: "mysql://nope"), logger: Self.logger)
        } throws: { error in
            "\(error)".hasPrefix("--database-url:")
        }
    }

    /// The three programs as `pizza` assembles them, in one process: an order posted to the producer
    /// API is relayed by the job to a Redis stream and applied by the consumer API's inbox.
    @Test(.enabled(if: TestServers.postgresEnabled && TestServers.redisEnabled)) func anOrderTravelsThroughAllThreePrograms() async throws {
        let redis = try RedisConfiguration(url: try TestServers.requireRedisURL())
        let topic = TestServers.uniqueName("assembly-orders")
        try await TestSchema.with("pipeline") { schema, client in
            let producer = try await buildProducerAPI(
                ProducerAPIConfiguration(port: 0, databaseURL: schema.url, databaseConnections: 4),
                logger: Self.logger
            )
            let job = try await buildJob(
                JobConfiguration(
                    databaseURL: schema.url,
                    databaseConnections: 4,
                    redis: redis,
                    relay: RelayConfiguration(topic: topic, source: "assembly-test", pollInterval: .milliseconds(100)),
                    retention: .zero
                ),
                logger: Self.logger
            )
            let consumer = try await buildConsumerAPI(
                ConsumerAPIConfiguration(port: 0, redis: redis, topic: topic, group: "assembly", inboxURL: schema.url, inboxConnections: 2),
                logger: Self.logger
            )
            let jobGroup = ServiceGroup(configuration: .init(services: job.services.map { .init(service: $0) }, logger: Self.logger))
            try await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask { try await jobGroup.run() }
                try await consumer.test(.router) { consumerClient in
                    // The consumer's group exists before the order, so it sees the order's event.
                    while try await consumerClient.execute(uri: "/readyz", method: .get).status != .ok {
                        try await Task.sleep(for: .milliseconds(20))
                    }
                    let orderID = try await producer.test(.router) { producerClient in
                        let created = try await producerClient.execute(
                            uri: "/pizza",
                            method: .post,
                            headers: [.contentType: "application/json"],
                            body: ByteBuffer(string: ValidationTests.valid)
                        )
                        return try #require(try ProducerAPITests.json(created.body)["id"] as? String)
                    }
                    // -- the consumer's effect: one delivery row for the order, in the consumer's own tables
                    let deadline = ContinuousClock.now + .seconds(30)
                    var delivered = 0
                    while delivered == 0, ContinuousClock.now < deadline {
                        let rows = try await client.queryRows(
                            "SELECT count(*)::int FROM pizza_deliveries WHERE order_id = \(orderID)",
                            logger: Self.logger
                        )
                        for count in try rows.map({ try $0.decode(Int.self) }) { delivered = count }
                        if delivered == 0 { try await Task.sleep(for: .milliseconds(50)) }
                    }
                    #expect(delivered == 1)
                }
                await jobGroup.triggerGracefulShutdown()
                try await group.waitForAll()
            }
            await job.redis.close()
        }
    }

    /// A consumer's database gets the inbox and the deliveries, not the orders or the outbox.
    @Test(.enabled(if: TestServers.postgresEnabled)) func consumerInboxCreatesOnlyItsTables() async throws {
        try await TestSchema.with("inbox") { schema, client in
            let inbox = ConsumerInbox(try await Database.open(url: schema.url, connections: 2, logger: Self.logger))
            try await inbox.database.with { try await inbox.migrate() }
            // -- the tables the migration created in the test's schema
            let rows = try await client.queryRows(
                "SELECT table_name FROM information_schema.tables WHERE table_schema = \(schema.name) ORDER BY table_name",
                logger: Self.logger
            )
            var tables: [String] = []
            for name in try rows.map({ try $0.decode(String.self) }) { tables.append(name) }
            #expect(tables.contains("consumer_inbox") && tables.contains("pizza_deliveries"))
            #expect(!tables.contains("pizza_orders") && !tables.contains("pizza_order_outbox"))
        }
    }
}
