import Foundation
import Outbox
import OutboxSQLite
import PizzaShop
import SQLiteNIO

/// Deliveries and inbox in SQLite, one transaction per delivery.
public struct SQLiteDeliveryRecorder: DeliveryRecorder {
    let inbox: SQLiteInbox

    public init(storage: SQLiteStorage) {
        self.inbox = SQLiteInbox(storage: storage)
    }

    public static let migrations =
        SQLiteInbox.migrations + [
            SchemaMigration(
                component: "pizza-consumer",
                version: 1,
                name: "create_pizza_deliveries",
                statements: [
                    // No unique key on purpose: the ledger must be able to see a second effect if one happened.
                    """
                    CREATE TABLE IF NOT EXISTS pizza_deliveries (
                        position INTEGER PRIMARY KEY AUTOINCREMENT,
                        consumer_group TEXT NOT NULL,
                        event_id TEXT NOT NULL,
                        order_id TEXT NOT NULL,
                        event_type TEXT NOT NULL,
                        delivered_at INTEGER NOT NULL
                    )
                    """,
                    "CREATE INDEX IF NOT EXISTS pizza_deliveries_group_idx ON pizza_deliveries (consumer_group, order_id, position)",
                ]
            ),
            SchemaMigration(
                component: "pizza-consumer",
                version: 2,
                name: "add_pizza_deliveries_committed_at",
                statements: [
                    // The event's commit time beside its effect's: commit → effect latency from the table.
                    "ALTER TABLE pizza_deliveries ADD COLUMN committed_at INTEGER"
                ]
            ),
        ]

    public func record(_ envelope: Envelope, group: String, checkOrder: Bool) async throws -> InboxOutcome {
        let orderID = envelope.subject ?? ""
        let message = InboxMessage(
            eventID: envelope.id,
            group: group,
            aggregateID: orderID,
            previousEventID: checkOrder ? envelope.previousid : nil
        )
        return try await inbox.receive(message) { connection in
            // -- the effect: this group has the order
            _ = try await connection.query(
                """
                INSERT INTO pizza_deliveries (consumer_group, event_id, order_id, event_type, delivered_at, committed_at)
                VALUES (?, ?, ?, ?, ?, ?)
                """,
                [
                    .text(group), .text(envelope.id), .text(orderID), .text(envelope.type),
                    SQLiteStorage.milliseconds(Date()), SQLiteStorage.milliseconds(envelope.time),
                ]
            )
        }
    }

    public func deliveries() async throws -> [DeliveryRecord] {
        let rows = try await inbox.storage.read { connection in
            try await connection.query("SELECT position, consumer_group, event_id, order_id FROM pizza_deliveries ORDER BY position")
        }
        return rows.map {
            DeliveryRecord(
                group: $0.column("consumer_group")?.string ?? "",
                eventID: $0.column("event_id")?.string ?? "",
                orderID: $0.column("order_id")?.string ?? "",
                position: Int64($0.column("position")?.integer ?? 0)
            )
        }
    }

    public func inbox() async throws -> [InboxRecord] {
        let rows = try await inbox.storage.read { connection in
            try await connection.query("SELECT consumer_group, event_id, delivery_count FROM consumer_inbox")
        }
        return rows.map {
            InboxRecord(
                group: $0.column("consumer_group")?.string ?? "",
                eventID: $0.column("event_id")?.string ?? "",
                deliveryCount: $0.column("delivery_count")?.integer ?? 0
            )
        }
    }
}

extension SQLiteDeliveryRecorder: EffectReader {
    public func effects(eventIDs: [String], groups: [String]) async throws -> [AppliedEffect] {
        var effects: [AppliedEffect] = []
        for eventID in eventIDs {
            // -- this event's inbox rows, one lookup per group (its primary key)
            let rows = try await inbox.storage.read { connection in
                try await connection.query(
                    """
                    SELECT consumer_group, event_id, order_id, first_received_at, delivery_count FROM consumer_inbox
                    WHERE event_id = ?1 AND consumer_group IN (SELECT value FROM json_each(?2))
                    ORDER BY first_received_at
                    """,
                    [.text(eventID.lowercased()), .text(Self.jsonArray(groups))]
                )
            }
            effects += rows.map(Self.effect)
        }
        return effects
    }

    public func effects(orderID: String, groups: [String]) async throws -> [AppliedEffect] {
        let rows = try await inbox.storage.read { connection in
            // -- one order's effects per group, with the inbox's counts
            try await connection.query(
                """
                SELECT d.consumer_group, d.event_id, d.order_id, d.delivered_at AS first_received_at,
                       coalesce(i.delivery_count, 1) AS delivery_count
                FROM pizza_deliveries d
                LEFT JOIN consumer_inbox i ON i.consumer_group = d.consumer_group AND i.event_id = d.event_id
                WHERE d.consumer_group IN (SELECT value FROM json_each(?2)) AND d.order_id = ?1
                ORDER BY d.position
                """,
                [.text(orderID), .text(Self.jsonArray(groups))]
            )
        }
        return rows.map(Self.effect)
    }

    public func recentEffects(afterPosition position: Int64?, limit: Int) async throws -> RecentEffects {
        guard let position else {
            let rows = try await inbox.storage.read { connection in
                // -- where the deliveries end now
                try await connection.query("SELECT coalesce(max(position), 0) AS last FROM pizza_deliveries")
            }
            return RecentEffects(lastPosition: Int64(rows.first?.column("last")?.integer ?? 0), latencies: [:])
        }
        let rows = try await inbox.storage.read { connection in
            // -- effects after the last look, with commit and effect times
            try await connection.query(
                """
                SELECT position, consumer_group, delivered_at - committed_at AS latency
                FROM pizza_deliveries WHERE position > ? ORDER BY position LIMIT ?
                """,
                [.integer(Int(position)), .integer(limit)]
            )
        }
        var result = RecentEffects(lastPosition: position, latencies: [:])
        for row in rows {
            result.lastPosition = Int64(row.column("position")?.integer ?? 0)
            if let group = row.column("consumer_group")?.string, let milliseconds = row.column("latency")?.integer {
                result.latencies[group, default: []].append(max(0, Double(milliseconds) / 1000))
            }
        }
        return result
    }

    static func effect(_ row: SQLiteRow) -> AppliedEffect {
        AppliedEffect(
            group: row.column("consumer_group")?.string ?? "",
            eventID: row.column("event_id")?.string ?? "",
            orderID: row.column("order_id")?.string ?? "",
            appliedAt: Date(timeIntervalSince1970: Double(row.column("first_received_at")?.integer ?? 0) / 1000),
            deliveryCount: row.column("delivery_count")?.integer ?? 1
        )
    }

    static func jsonArray(_ strings: [String]) -> String {
        String(decoding: (try? JSONEncoder().encode(strings)) ?? Data("[]".utf8), as: UTF8.self)
    }
}
