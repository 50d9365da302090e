import Foundation
import Logging
import Outbox
import SQLiteNIO

/// An SQLite database in WAL mode: one writer connection whose transactions are serialised, and a
/// reader connection that reads concurrently with it. `:memory:` uses one connection for both.
public final class SQLiteStorage: Sendable {
    /// The database file, or `:memory:`.
    public let path: String
    let writer: SQLiteConnection
    let reader: SQLiteConnection
    private let writeLock = AsyncLock()
    let logger: Logger

    /// Opens (creating if needed) the database at `path`, or an in-memory one for `:memory:`.
    public static func open(path: String, logger: Logger) async throws -> SQLiteStorage {
        if path == ":memory:" {
            let connection = try await SQLiteConnection.open(storage: .memory, logger: logger)
            return SQLiteStorage(path: path, writer: connection, reader: connection, logger: logger)
        }
        let writer = try await SQLiteConnection.open(storage: .file(path: path), logger: logger)
        // WAL: readers never block the writer and the writer never blocks readers.
        _ = try await writer.query("PRAGMA journal_mode = WAL")
        _ = try await writer.query("PRAGMA synchronous = FULL")
        _ = try await writer.query("PRAGMA foreign_keys = ON")
        let reader = try await SQLiteConnection.open(storage: .file(path: path), logger: logger)
        return SQLiteStorage(path: path, writer: writer, reader: reader, logger: logger)
    }

    private init(path: String, writer: SQLiteConnection, reader: SQLiteConnection, logger: Logger) {
        self.path = path
        self.writer = writer
        self.reader = reader
        self.logger = logger
    }

    /// Runs `body` in one write transaction (`BEGIN IMMEDIATE`), committing when it returns and
    /// rolling back when it throws. Transactions of this process run one at a time.
    public func write<T: Sendable>(_ body: (SQLiteConnection) async throws -> T) async throws -> T {
        try await writeLock.withLock {
            _ = try await writer.query("BEGIN IMMEDIATE")
            do {
                let value = try await body(writer)
                _ = try await writer.query("COMMIT")
                return value
            } catch {
                _ = try? await writer.query("ROLLBACK")
                throw error
            }
        }
    }

    /// Runs `body` on the reader connection (a consistent snapshot per statement).
    public func read<T: Sendable>(_ body: (SQLiteConnection) async throws -> T) async throws -> T {
        if reader === writer {
            return try await writeLock.withLock { try await body(reader) }
        }
        return try await body(reader)
    }

    /// Closes both connections.
    public func close() async {
        try? await reader.close()
        if reader !== writer { try? await writer.close() }
    }

    /// Milliseconds since 1970: how times are stored (exact and sortable).
    public static func milliseconds(_ date: Date) -> SQLiteData {
        .integer(Int((date.timeIntervalSince1970 * 1000).rounded()))
    }

    static func date(_ data: SQLiteData?) -> Date? {
        guard let value = data?.integer else { return nil }
        return Date(timeIntervalSince1970: Double(value) / 1000)
    }
}

extension SQLiteStorage {
    /// Applies the missing migrations in one write transaction; returns their names.
    @discardableResult
    public func migrate(_ migrations: [SchemaMigration]) async throws -> [String] {
        try await write { connection in
            // -- the ledger of applied migrations
            _ = try await connection.query(
                """
                CREATE TABLE IF NOT EXISTS schema_migrations (
                    component TEXT NOT NULL, version INTEGER NOT NULL, name TEXT NOT NULL,
                    applied_at INTEGER NOT NULL, PRIMARY KEY (component, version))
                """
            )
            // -- what is there already
            let rows = try await connection.query("SELECT component, version FROM schema_migrations")
            let applied = Set(rows.map { "\($0.column("component")?.string ?? "")/\($0.column("version")?.integer ?? 0)" })
            var done: [String] = []
            for migration in migrations where !applied.contains("\(migration.component)/\(migration.version)") {
                for statement in migration.statements { _ = try await connection.query(statement) }
                // -- record it with its DDL
                _ = try await connection.query(
                    "INSERT INTO schema_migrations (component, version, name, applied_at) VALUES (?, ?, ?, ?)",
                    [.text(migration.component), .integer(migration.version), .text(migration.name), SQLiteStorage.milliseconds(Date())]
                )
                done.append(migration.label)
            }
            return done
        }
    }
}
