import Logging
import Outbox
import PostgresNIO

/// Applies migrations once each, recorded in `schema_migrations`, under an advisory lock so that
/// several processes starting together do not race.
public struct PostgresMigrator: Sendable {
    /// Name of the advisory lock that serialises migrators of one schema (schemas migrate independently).
    static let lockName = "pizza-outbox-migrations"

    /// The migrations it applies, in order.
    public let migrations: [SchemaMigration]

    /// A migrator for `migrations` (the store's, the inbox's and the application's together).
    public init(_ migrations: [SchemaMigration]) {
        self.migrations = migrations
    }

    /// Applies what is missing; returns the names of the migrations it applied.
    @discardableResult
    public func migrate(client: any PostgresConnectionSource, logger: Logger) async throws -> [String] {
        do {
            return try await client.transaction(logger: logger) { connection in
                // -- serialise concurrent migrators of this schema until this transaction ends
                try await connection.query(
                    "SELECT pg_advisory_xact_lock(hashtextextended(current_schema() || '/' || \(Self.lockName), 0))",
                    logger: logger
                )
                // -- the ledger of applied migrations
                try await connection.query(
                    """
                    CREATE TABLE IF NOT EXISTS schema_migrations (
                        component text NOT NULL,
                        version integer NOT NULL,
                        name text NOT NULL,
                        applied_at timestamptz NOT NULL DEFAULT now(),
                        PRIMARY KEY (component, version)
                    )
                    """,
                    logger: logger
                )
                var applied = Set<String>()
                // -- what is already there
                let rows = try await connection.query("SELECT component, version FROM schema_migrations", logger: logger)
                for try await (component, version) in rows.decode((String, Int).self) {
                    applied.insert("\(component)/\(version)")
                }
                var done: [String] = []
                for migration in migrations where !applied.contains("\(migration.component)/\(migration.version)") {
                    for statement in migration.statements {
                        try await connection.query(PostgresQuery(unsafeSQL: statement), logger: logger)
                    }
                    // -- record it in the same transaction as its DDL
                    try await connection.query(
                        """
                        INSERT INTO schema_migrations (component, version, name)
                        VALUES (\(migration.component), \(migration.version), \(migration.name))
                        """,
                        logger: logger
                    )
                    done.append(migration.label)
                }
                return done
            }
        } catch {
            throw OutboxError(code: .migrationFailed, message: "schema migration failed", underlying: error)
        }
    }
}
