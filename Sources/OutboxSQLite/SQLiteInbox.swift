import Foundation
import Outbox
import SQLiteNIO

/// The consumer inbox on SQLite: `consumer_inbox` keyed by (group, event id), written in the same
/// transaction as the consumer's effect.
public struct SQLiteInbox: Inbox {
    /// The database whose write transactions record deliveries and run effects.
    public let storage: SQLiteStorage

    /// An inbox in `storage` (apply `migrations` first).
    public init(storage: SQLiteStorage) {
        self.storage = storage
    }

    /// The inbox table `consumer_inbox` (component `inbox`).
    public static let migrations = [
        SchemaMigration(
            component: "inbox",
            version: 1,
            name: "create_consumer_inbox",
            statements: [
                """
                CREATE TABLE IF NOT EXISTS consumer_inbox (
                    consumer_group TEXT NOT NULL,
                    event_id TEXT NOT NULL,
                    order_id TEXT NOT NULL,
                    first_received_at INTEGER NOT NULL,
                    last_received_at INTEGER NOT NULL,
                    delivery_count INTEGER NOT NULL DEFAULT 1,
                    PRIMARY KEY (consumer_group, event_id)
                )
                """
            ]
        )
    ]

    /// Records the delivery and runs `effect` in one write transaction, once per event and group, in order per aggregate.
    public func receive(_ message: InboxMessage, effect: @escaping @Sendable (SQLiteConnection) async throws -> Void) async throws -> InboxOutcome {
        do {
            return try await record(message, effect: effect)
        } catch let error as OutboxError where error.code == .outOfOrder {
            return .outOfOrder(waitingFor: message.previousEventID ?? "")
        }
    }

    private func record(_ message: InboxMessage, effect: @escaping @Sendable (SQLiteConnection) async throws -> Void) async throws -> InboxOutcome {
        let now = SQLiteStorage.milliseconds(Date())
        return try await storage.write { connection in
            // -- record the delivery; a repeat only bumps its count
            let rows = try await connection.query(
                """
                INSERT INTO consumer_inbox (consumer_group, event_id, order_id, first_received_at, last_received_at)
                VALUES (?1, ?2, ?3, ?4, ?4)
                ON CONFLICT (consumer_group, event_id)
                DO UPDATE SET delivery_count = delivery_count + 1, last_received_at = excluded.last_received_at
                RETURNING delivery_count
                """,
                [.text(message.group), .text(message.eventID), .text(message.aggregateID), now]
            )
            let count = rows.first?.column("delivery_count")?.integer ?? 1
            guard count == 1 else { return .duplicate(deliveryCount: count) }
            if let previous = message.previousEventID {
                // -- the aggregate's previous event must have taken effect in this group first
                let found = try await connection.query(
                    "SELECT 1 FROM consumer_inbox WHERE consumer_group = ? AND event_id = ?",
                    [.text(message.group), .text(previous)]
                )
                // (thrown to roll back the inbox row of an event that came too early)
                if found.isEmpty { throw OutboxError(code: .outOfOrder, message: "event \(message.eventID) came before \(previous)") }
            }
            try await effect(connection)
            return .processed
        }
    }
}
