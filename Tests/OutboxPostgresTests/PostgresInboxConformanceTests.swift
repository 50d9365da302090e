import Logging
import Outbox
import OutboxPostgres
import OutboxTesting
import PostgresNIO
import TestSupport
import Testing

struct PostgresInboxHarness: InboxHarness {
    func withInbox(_ body: (PostgresInbox) async throws -> Void) async throws {
        try await TestSchema.with("inbox") { _, client in
            try await PostgresMigrator(PostgresInbox.migrations).migrate(client: client, logger: Logger(label: "test"))
            try await body(PostgresInbox(client: client, logger: Logger(label: "test")))
        }
    }
}

@Suite("PostgresInbox conformance", .enabled(if: TestServers.postgresEnabled), .timeLimit(.minutes(2)))
struct PostgresInboxConformanceTests {
    @Test(arguments: InboxConformance.allCases)
    func conformance(_ check: InboxConformanceCase) async throws {
        try await check.run(PostgresInboxHarness())
    }
}
