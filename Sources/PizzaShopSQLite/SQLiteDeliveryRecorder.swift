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
            )
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
                INSERT INTO pizza_deliveries (consumer_group, event_id, order_id, event_type, delivered_at)
                VALUES (?, ?, ?, ?, ?)
                """,
                [
                    .text(group), .text(envelope.id), .text(orderID), .text(envelope.type),
                    SQLiteStorage.milliseconds(Date()),
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
