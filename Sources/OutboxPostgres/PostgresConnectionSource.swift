import Logging
import PostgresNIO

/// Where the PostgreSQL stores get their connections: a postgres-nio `PostgresClient` (one server,
/// its own pool) or a ``PostgresPool`` (the primary of several hosts, with a deadline on every
/// statement). The body must not keep the connection after it returns.
public protocol PostgresConnectionSource: Sendable {
    /// Lends a connection to `body` for its duration.
    func withConnection<Result: Sendable>(
        logger: Logger,
        _ body: @escaping @Sendable (PostgresConnection) async throws -> Result
    ) async throws -> Result
}

extension PostgresConnectionSource {
    /// Runs `query` and returns all its rows.
    @discardableResult
    public func queryRows(_ query: PostgresQuery, logger: Logger) async throws -> [PostgresRow] {
        try await withConnection(logger: logger) { connection in
            try await connection.query(query, logger: logger).collect()
        }
    }

    /// Runs `query`, ignoring any rows.
    public func execute(_ query: PostgresQuery, logger: Logger) async throws {
        _ = try await queryRows(query, logger: logger)
    }

    /// Runs `body` in a transaction: committed if it returns, rolled back if it throws.
    public func transaction<Result: Sendable>(
        logger: Logger,
        _ body: @escaping @Sendable (PostgresConnection) async throws -> Result
    ) async throws -> Result {
        try await withConnection(logger: logger) { connection in
            try await connection.withTransaction(logger: logger) { connection in try await body(connection) }
        }
    }
}

extension PostgresClient: PostgresConnectionSource {
    /// Leases a connection of the client's pool (which the client's `run()` must be serving).
    public func withConnection<Result: Sendable>(
        logger: Logger,
        _ body: @escaping @Sendable (PostgresConnection) async throws -> Result
    ) async throws -> Result {
        try await withConnection { connection in try await body(connection) }
    }
}
