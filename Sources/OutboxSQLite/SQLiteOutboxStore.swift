import Foundation
import Logging
import Outbox
import SQLiteNIO

/// The outbox on SQLite, with the PostgreSQL driver's semantics: leases, backoff, per-aggregate
/// order. Claims need no `SKIP LOCKED`: write transactions are serialised (within a process by the
/// storage, across processes by SQLite's own lock). Times are stored as milliseconds since 1970.
public struct SQLiteOutboxStore: OutboxStore {
    /// The database the outbox table lives in.
    public let storage: SQLiteStorage
    /// The outbox table.
    public let table: SQLIdentifier
    /// Signalled after each commit that enqueued events (stands in for NOTIFY within the process).
    public let wakeUp: WakeUpSignal?

    /// A store on `table`; `wakeUp` is signalled after commits that call `committed()`, for in-process relays.
    public init(storage: SQLiteStorage, table: String = "pizza_order_outbox", wakeUp: WakeUpSignal? = nil) throws(OutboxError) {
        self.storage = storage
        self.table = try SQLIdentifier(table)
        self.wakeUp = wakeUp
    }

    /// The outbox table's migrations (component `outbox:<table>`).
    public var migrations: [SchemaMigration] {
        let t = table.name
        return [
            SchemaMigration(
                component: "outbox:\(t)",
                version: 1,
                name: "create_outbox",
                statements: [
                    """
                    CREATE TABLE IF NOT EXISTS \(t) (
                        seq INTEGER PRIMARY KEY AUTOINCREMENT,
                        id TEXT NOT NULL UNIQUE,
                        aggregate_type TEXT NOT NULL,
                        aggregate_id TEXT NOT NULL,
                        event_type TEXT NOT NULL,
                        payload TEXT NOT NULL,
                        headers TEXT NOT NULL DEFAULT '{}',
                        status TEXT NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'completed', 'failed')),
                        attempts INTEGER NOT NULL DEFAULT 0,
                        last_error TEXT,
                        available_at INTEGER NOT NULL,
                        locked_by TEXT,
                        locked_until INTEGER,
                        created_at INTEGER NOT NULL,
                        published_at INTEGER
                    )
                    """,
                    "CREATE INDEX IF NOT EXISTS \(t)_pending_idx ON \(t) (seq) WHERE status = 'pending'",
                    "CREATE INDEX IF NOT EXISTS \(t)_aggregate_idx ON \(t) (aggregate_id, seq)",
                ]
            ),
            SchemaMigration(
                component: "outbox:\(t)",
                version: 2,
                name: "index_failed_events",
                statements: [
                    // Failed events are few and looked at often (dashboards, retry-all): counted and listed from their own index.
                    "CREATE INDEX IF NOT EXISTS \(t)_failed_idx ON \(t) (seq) WHERE status = 'failed'"
                ]
            ),
        ]
    }

    /// Writes events inside the caller's write transaction (see `SQLiteStorage.write`). Call
    /// `committed()` after the transaction to wake in-process relays.
    public func enqueue(_ events: [NewOutboxEvent], on connection: SQLiteConnection) async throws {
        let now = SQLiteStorage.milliseconds(Date())
        for event in events {
            // -- one row per event; seq follows insertion order
            _ = try await connection.query(
                """
                INSERT INTO \(table.name) (id, aggregate_type, aggregate_id, event_type, payload, headers, available_at, created_at)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?)
                """,
                [
                    .text(event.id.uuidString.lowercased()), .text(event.aggregateType), .text(event.aggregateID),
                    .text(event.eventType), .text(event.payload), .text(OutboxHeaders.encode(event.headers)),
                    now, SQLiteStorage.milliseconds(event.occurredAt),
                ]
            )
        }
    }

    /// Wakes relays of this process after a commit that enqueued events.
    public func committed() {
        wakeUp?.signal()
    }

    /// Stores events in a transaction of their own.
    public func enqueue(_ events: [NewOutboxEvent]) async throws {
        try await storage.write { connection in try await enqueue(events, on: connection) }
        committed()
    }

    /// Leases up to `limit` due events, oldest first, in order per aggregate (one writer: no two claims overlap).
    public func claim(limit: Int, owner: String, leaseDuration: Duration) async throws -> ClaimedBatch {
        let now = Date()
        let rows = try await storage.write { connection in
            try await connection.query(
                """
                UPDATE \(table.name) SET locked_by = ?1, locked_until = ?2
                WHERE seq IN (
                    -- due, unleased events, oldest first
                    SELECT o.seq FROM \(table.name) o
                    WHERE o.status = 'pending' AND o.available_at <= ?3
                      AND (o.locked_until IS NULL OR o.locked_until < ?3)
                      -- never overtake an unfinished earlier event of the same aggregate
                      AND NOT EXISTS (
                          SELECT 1 FROM \(table.name) p
                          WHERE p.aggregate_id = o.aggregate_id AND p.seq < o.seq AND p.status <> 'completed')
                    ORDER BY o.seq LIMIT ?4)
                -- with each, the id of its aggregate's previous event, for the consumer's order check
                RETURNING \(Self.columns),
                    (SELECT p.id FROM \(table.name) p
                     WHERE p.aggregate_id = \(table.name).aggregate_id AND p.seq < \(table.name).seq
                     ORDER BY p.seq DESC LIMIT 1) AS previous_id
                """,
                [
                    .text(owner), SQLiteStorage.milliseconds(now.addingTimeInterval(leaseDuration.seconds)),
                    SQLiteStorage.milliseconds(now), .integer(limit),
                ]
            )
        }
        return ClaimedBatch(owner: owner, events: try rows.map(Self.event).sorted { $0.seq < $1.seq })
    }

    /// Applies the batch's outcomes in one write transaction, only where `owner` still holds the lease.
    public func complete(_ outcomes: [DeliveryOutcome], owner: String) async throws {
        guard !outcomes.isEmpty else { return }
        let now = SQLiteStorage.milliseconds(Date())
        try await storage.write { connection in
            for outcome in outcomes {
                switch outcome {
                case .published(let id):
                    // -- published: completed, where this relay still holds the lease
                    _ = try await connection.query(
                        """
                        UPDATE \(table.name) SET status = 'completed', published_at = ?, locked_by = NULL, locked_until = NULL
                        WHERE id = ? AND locked_by = ? AND status = 'pending'
                        """,
                        [now, .text(id.uuidString.lowercased()), .text(owner)]
                    )
                case .released(let id, let error):
                    // -- not attempted (broker unreachable): free for the next claim, no attempt counted
                    _ = try await connection.query(
                        """
                        UPDATE \(table.name) SET last_error = ?, locked_by = NULL, locked_until = NULL
                        WHERE id = ? AND locked_by = ? AND status = 'pending'
                        """,
                        [.text(error), .text(id.uuidString.lowercased()), .text(owner)]
                    )
                case .failed(let id, let error, let retryAt):
                    // -- failed: count it, keep the error, back off or park
                    _ = try await connection.query(
                        """
                        UPDATE \(table.name)
                        SET attempts = attempts + 1, last_error = ?, locked_by = NULL, locked_until = NULL,
                            available_at = coalesce(?, available_at),
                            status = CASE WHEN ? IS NULL THEN 'failed' ELSE 'pending' END
                        WHERE id = ? AND locked_by = ? AND status = 'pending'
                        """,
                        [
                            .text(error), retryAt.map(SQLiteStorage.milliseconds) ?? .null,
                            retryAt.map(SQLiteStorage.milliseconds) ?? .null, .text(id.uuidString.lowercased()), .text(owner),
                        ]
                    )
                }
            }
        }
    }

    /// The aggregate's events in commit order.
    public func events(aggregateID: String) async throws -> [OutboxEvent] {
        let rows = try await storage.read { connection in
            // -- every event of one aggregate, in commit order
            try await connection.query(
                "SELECT \(Self.columns) FROM \(table.name) WHERE aggregate_id = ? ORDER BY seq",
                [.text(aggregateID)]
            )
        }
        return try rows.map(Self.event)
    }

    /// Every event, in sequence order (for the delivery ledger).
    public func allEvents() async throws -> [OutboxEvent] {
        let rows = try await storage.read { connection in
            try await connection.query("SELECT \(Self.columns) FROM \(table.name) ORDER BY seq")
        }
        return try rows.map(Self.event)
    }

    /// Counts per status and the oldest pending event's age.
    public func stats() async throws -> OutboxStats {
        let rows = try await storage.read { connection in
            // -- counts per status and the oldest pending event
            try await connection.query(
                """
                SELECT count(CASE WHEN status = 'pending' THEN 1 END) AS pending,
                       count(CASE WHEN status = 'completed' THEN 1 END) AS completed,
                       count(CASE WHEN status = 'failed' THEN 1 END) AS failed,
                       min(CASE WHEN status = 'pending' THEN created_at END) AS oldest
                FROM \(table.name)
                """
            )
        }
        let row = rows.first
        return OutboxStats(
            pending: row?.column("pending")?.integer ?? 0,
            completed: row?.column("completed")?.integer ?? 0,
            failed: row?.column("failed")?.integer ?? 0,
            oldestPendingAgeSeconds: SQLiteStorage.date(row?.column("oldest")).map { Date().timeIntervalSince($0) }
        )
    }

    static let columns =
        "seq, id, aggregate_type, aggregate_id, event_type, payload, headers, status, attempts, last_error, available_at, created_at, published_at"

    static func event(_ row: SQLiteRow) throws -> OutboxEvent {
        guard let seq = row.column("seq")?.integer, let idText = row.column("id")?.string, let id = UUID(uuidString: idText),
            let createdAt = SQLiteStorage.date(row.column("created_at")),
            let availableAt = SQLiteStorage.date(row.column("available_at"))
        else { throw OutboxError(code: .corruptRow, message: "outbox row has an unexpected shape") }
        return OutboxEvent(
            id: id,
            seq: Int64(seq),
            aggregateType: row.column("aggregate_type")?.string ?? "",
            aggregateID: row.column("aggregate_id")?.string ?? "",
            eventType: row.column("event_type")?.string ?? "",
            payload: row.column("payload")?.string ?? "{}",
            headers: OutboxHeaders.decode(row.column("headers")?.string ?? "{}"),
            status: OutboxStatus(rawValue: row.column("status")?.string ?? "") ?? .pending,
            attempts: row.column("attempts")?.integer ?? 0,
            lastError: row.column("last_error")?.string,
            availableAt: availableAt,
            createdAt: createdAt,
            publishedAt: SQLiteStorage.date(row.column("published_at")),
            previousID: row.column("previous_id")?.string.flatMap(UUID.init(uuidString:))
        )
    }
}
