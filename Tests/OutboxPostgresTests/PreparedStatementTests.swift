import Logging
import OutboxPostgres
import PostgresNIO
import TestSupport
import Testing

@Suite(.enabled(if: TestServers.postgresEnabled), .timeLimit(.minutes(1)))
struct PreparedStatementTests {
    let logger = Logger(label: "test")

    @Test func aStatementIsPreparedOncePerConnectionAndRunsWithNewBinds() async throws {
        try await TestSchema.with("prepared") { _, client in
            let names = try await client.withConnection(logger: logger) { connection in
                var sums: [Int] = []
                for n in 1...3 {
                    let rows = try await connection.preparedRows("SELECT \(n)::integer + \(10)::integer", logger: logger)
                    sums += try rows.map { try $0.decode(Int.self) }
                }
                #expect(sums == [11, 12, 13])
                let rows = try await connection.query("SELECT name FROM pg_prepared_statements", logger: logger).collect()
                return try rows.map { try $0.decode(String.self) }
            }
            // One text, one server-side statement, named after the text.
            #expect(names.count == 1)
            #expect(names.first?.hasPrefix("outbox_") == true)
        }
    }

    @Test func aStatementThatFailedToPrepareWorksOnceItsTableExists() async throws {
        try await TestSchema.with("prepared") { _, client in
            let query: PostgresQuery = "SELECT count(*) FROM later WHERE n > \(0)"
            // The table is not there yet: PostgreSQL refuses to prepare the statement.
            await #expect(throws: PSQLError.self) { try await client.preparedRows(query, logger: logger) }
            try await client.queryRows("CREATE TABLE later (n integer)", logger: logger)
            try await client.queryRows("INSERT INTO later VALUES (1), (2)", logger: logger)
            // Whichever connection the pool lends now, the statement prepares afresh.
            for _ in 0..<3 {
                let rows = try await client.preparedRows(query, logger: logger)
                #expect(try rows.map { try $0.decode(Int.self) } == [2])
            }
        }
    }
}
