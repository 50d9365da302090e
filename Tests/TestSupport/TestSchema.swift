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

    /// Creates a fresh schema, runs `body` with a running client on it, then drops it.
    public static func with<T: Sendable>(
        _ prefix: String = "test",
        logger: Logger = Logger(label: "test"),
        _ body: (TestSchema, PostgresClient) async throws -> T
    ) async throws -> T {
        let base = try TestServers.requireDatabaseURL()
        let name = TestServers.uniqueName(prefix)
        let separator = base.contains("?") ? "&" : "?"
        let schema = TestSchema(name: name, url: base + separator + "schema=" + name, parsed: try PostgresURL(base + separator + "schema=" + name))
        let identifier = try SQLIdentifier(name)
        return try await withPostgresClient(schema.parsed, logger: logger) { client in
            // -- a private namespace for this test
            try await client.query("CREATE SCHEMA \(unescaped: identifier.name)", logger: logger)
            do {
                let value = try await body(schema, client)
                try await client.query("DROP SCHEMA \(unescaped: identifier.name) CASCADE", logger: logger)
                return value
            } catch {
                try? await client.query("DROP SCHEMA \(unescaped: identifier.name) CASCADE", logger: logger)
                throw error
            }
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
    let client = PostgresClient(configuration: url.clientConfiguration(maximumConnections: connections), backgroundLogger: logger)
    return try await withThrowingTaskGroup(of: Void.self) { group in
        group.addTask { await client.run() }
        defer { group.cancelAll() }
        return try await body(client)
    }
}
