import Logging
import Outbox
import OutboxPostgres
import PostgresNIO

/// A schema of its own for one test on the script's PostgreSQL, dropped afterwards.
public struct TestSchema: Sendable {
    /// The schema's name.
    public let name: String
    /// `DATABASE_URL` with `schema=` pointing at it.
    public let url: String
    public let parsed: PostgresURL

    /// Creates a fresh schema, runs `body` with a pool on it (the programs' own kind), then drops it.
    public static func with<T: Sendable>(
        _ prefix: String = "test",
        logger: Logger = Logger(label: "test"),
        _ body: (TestSchema, PostgresPool) async throws -> T
    ) async throws -> T {
        let base = try TestServers.requireDatabaseURL()
        let name = TestServers.uniqueName(prefix)
        let separator = base.contains("?") ? "&" : "?"
        let schema = TestSchema(name: name, url: base + separator + "schema=" + name, parsed: try PostgresURL(base + separator + "schema=" + name))
        let identifier = try SQLIdentifier(name)
        // A generous deadline: every suite starts at once on a 2-core machine that also runs the HA
        // formation and the Redis Cluster, and a migration can wait its turn for seconds. The
        // deadline itself is tested with pools of its own (PostgresPoolTests).
        let pool = try PostgresPool(url: schema.parsed, options: .init(maximumConnections: 10, statementTimeout: .seconds(60)), logger: logger)
        do {
            // -- a private namespace for this test
            try await pool.execute("CREATE SCHEMA \(unescaped: identifier.name)", logger: logger)
            let value = try await body(schema, pool)
            try await pool.execute("DROP SCHEMA \(unescaped: identifier.name) CASCADE", logger: logger)
            await pool.close()
            return value
        } catch {
            try? await pool.execute("DROP SCHEMA \(unescaped: identifier.name) CASCADE", logger: logger)
            await pool.close()
            throw error
        }
    }
}

/// Runs `body` with a client whose `run()` is going, then shuts the client down.
public func withPostgresClient<T: Sendable>(
    _ url: PostgresURL,
    connections: Int = 10,
    logger: Logger = Logger(label: "test"),
    _ body: (PostgresClient) async throws -> T
) async throws -> T {
    let client = PostgresClient(configuration: try url.clientConfiguration(maximumConnections: connections), backgroundLogger: logger)
    return try await withThrowingTaskGroup(of: Void.self) { group in
        group.addTask { await client.run() }
        defer { group.cancelAll() }
        return try await body(client)
    }
}
