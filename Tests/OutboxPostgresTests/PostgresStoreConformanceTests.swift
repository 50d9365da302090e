import Logging
import Outbox
import OutboxPostgres
import OutboxTesting
import PostgresNIO
import TestSupport
import Testing

struct PostgresStoreHarness: OutboxStoreHarness {
    func withStore(_ body: (PostgresOutboxStore) async throws -> Void) async throws {
        try await TestSchema.with("outbox") { _, client in
            let store = try PostgresOutboxStore(client: client, table: "test_outbox", logger: Logger(label: "test"))
            try await PostgresMigrator(store.migrations).migrate(client: client, logger: Logger(label: "test"))
            try await body(store)
        }
    }

    func enqueue(_ events: [NewOutboxEvent], into store: PostgresOutboxStore) async throws {
        try await store.client.transaction(logger: Logger(label: "test")) { connection in
            try await store.enqueue(events, on: connection, logger: Logger(label: "test"))
        }
    }
}

@Suite("PostgresOutboxStore conformance", .enabled(if: TestServers.postgresEnabled), .timeLimit(.minutes(2)))
struct PostgresStoreConformanceTests {
    @Test(arguments: OutboxStoreConformance.allCases)
    func conformance(_ check: OutboxStoreConformanceCase) async throws {
        try await check.run(PostgresStoreHarness())
    }
}
