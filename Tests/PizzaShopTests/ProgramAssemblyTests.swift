import Foundation
import Hummingbird
import HummingbirdTesting
import Logging
import Outbox
import PizzaShop
import PostgresNIO
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

    @Test func aBadDatabaseURLNamesTheFlag() async throws {
        await #expect {
            _ = try await buildProducerAPI(ProducerAPIConfiguration(databaseURL: "mysql://nope"), logger: Self.logger)
        } throws: { error in
            "\(error)".hasPrefix("--database-url:")
        }
    }

    /// A consumer's database gets the inbox and the deliveries, not the orders or the outbox.
    @Test(.enabled(if: TestServers.postgresEnabled)) func consumerInboxCreatesOnlyItsTables() async throws {
        try await TestSchema.with("inbox") { schema, client in
            let inbox = ConsumerInbox(try await Database.open(url: schema.url, connections: 2, logger: Self.logger))
            try await inbox.database.with { try await inbox.migrate() }
            // -- the tables the migration created in the test's schema
            let rows = try await client.query(
                "SELECT table_name FROM information_schema.tables WHERE table_schema = \(schema.name) ORDER BY table_name",
                logger: Self.logger
            )
            var tables: [String] = []
            for try await name in rows.decode(String.self) { tables.append(name) }
            #expect(tables.contains("consumer_inbox") && tables.contains("pizza_deliveries"))
            #expect(!tables.contains("pizza_orders") && !tables.contains("pizza_order_outbox"))
        }
    }
}
