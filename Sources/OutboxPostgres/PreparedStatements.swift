import Logging
import PostgresNIO

extension PostgresConnection {
    /// Runs `query` as a named prepared statement of this connection and returns all its rows.
    ///
    /// The first time a connection runs a statement text, PostgreSQL parses and plans it and keeps
    /// it under a name derived from the text; every later run only binds and executes. For the
    /// outbox's short, frequent statements the parse and the plan are most of the server's work
    /// (the claim and the order insert: about 40 % of PostgreSQL's CPU per order, `scripts/profile`).
    ///
    /// Behind a connection pooler in transaction mode, prepared statements need protocol-level
    /// support (PgBouncer 1.21 and later, `max_prepared_statements`).
    public func preparedRows(_ query: PostgresQuery, logger: Logger) async throws -> [PostgresRow] {
        let definition = NamedStatement.Definition(sql: query.sql)
        do {
            return try await NamedStatement.$current.withValue(definition) {
                try await self.execute(NamedStatement(bindings: query.binds), logger: logger).reduce(into: []) { $0.append($1) }
            }
        } catch let error as PSQLError where Self.invalidatesPreparation(error) {
            // postgres-nio keeps a failed preparation for the connection's lifetime: a statement that
            // failed to prepare (its table not migrated yet, say) would fail on it forever. Closing
            // the connection lets its pool open a fresh one.
            let _: EventLoopFuture<Void> = self.close()
            throw error
        }
    }

    /// Errors PostgreSQL raises while parsing or planning (SQLSTATE classes 42, 0A, 3F and 26): the
    /// statement may work on a fresh connection once the schema changes.
    static func invalidatesPreparation(_ error: PSQLError) -> Bool {
        guard error.code == .server, let state = error.serverInfo?[.sqlState] else { return false }
        return ["42", "0A", "3F", "26"].contains(String(state.prefix(2)))
    }
}

extension PostgresConnectionSource {
    /// Runs `query` as a prepared statement (see `PostgresConnection.preparedRows(_:logger:)`) on a
    /// connection of the source, and returns all its rows.
    @discardableResult
    public func preparedRows(_ query: PostgresQuery, logger: Logger) async throws -> [PostgresRow] {
        try await withConnection(logger: logger) { connection in try await connection.preparedRows(query, logger: logger) }
    }
}

/// A prepared statement whose text is chosen at run time. postgres-nio names and prepares statements
/// by their type's static `name` and `sql`, which it reads while `execute` starts, in the calling
/// task; a task-local value gives each call its own text and name.
private struct NamedStatement: PostgresPreparedStatement {
    struct Definition: Sendable {
        var name: String
        var sql: String

        init(sql: String) {
            self.sql = sql
            // FNV-1a of the text: the same text gets the same name on every connection and in every process.
            var hash: UInt64 = 0xcbf2_9ce4_8422_2325
            for byte in sql.utf8 {
                hash ^= UInt64(byte)
                hash &*= 0x100_0000_01b3
            }
            self.name = "outbox_" + String(hash, radix: 16)
        }
    }

    @TaskLocal static var current = Definition(sql: "")

    static var name: String { current.name }
    static var sql: String { current.sql }

    typealias Row = PostgresRow

    let bindings: PostgresBindings

    func makeBindings() -> PostgresBindings { bindings }
    func decodeRow(_ row: PostgresRow) -> PostgresRow { row }
}
