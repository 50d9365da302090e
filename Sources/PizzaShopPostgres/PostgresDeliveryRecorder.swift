import Foundation
import Logging
import Outbox
import OutboxPostgres
import PizzaShop
import PostgresNIO

/// Deliveries and inbox in PostgreSQL: one transaction per delivery, or per batch of deliveries.
public struct PostgresDeliveryRecorder: DeliveryRecorder {
    let inbox: PostgresInbox
    let logger: Logger

    public init(client: any PostgresConnectionSource, logger: Logger) {
        self.inbox = PostgresInbox(client: client, logger: logger)
        self.logger = logger
    }

    public static let migrations =
        PostgresInbox.migrations + [
            SchemaMigration(
                component: "pizza-consumer",
                version: 1,
                name: "create_pizza_deliveries",
                statements: [
                    // No unique key on purpose: the ledger must be able to see a second effect if one happened.
                    """
                    CREATE TABLE IF NOT EXISTS pizza_deliveries (
                        position bigserial PRIMARY KEY,
                        consumer_group text NOT NULL,
                        event_id uuid NOT NULL,
                        order_id text NOT NULL,
                        event_type text NOT NULL,
                        delivered_at timestamptz NOT NULL DEFAULT now()
                    )
                    """,
                    "CREATE INDEX IF NOT EXISTS pizza_deliveries_group_idx ON pizza_deliveries (consumer_group, order_id, position)",
                ]
            )
        ]

    public func record(_ envelope: Envelope, group: String, checkOrder: Bool) async throws -> InboxOutcome {
        try await record(batch: [envelope], group: group, checkOrder: [checkOrder])[0]
    }

    public func record(batch envelopes: [Envelope], group: String, checkOrder: [Bool]) async throws -> [InboxOutcome] {
        var messages: [InboxMessage] = []
        var events: [String: (id: UUID, type: String)] = [:]
        for (envelope, check) in zip(envelopes, checkOrder) {
            guard let eventID = UUID(uuidString: envelope.id) else {
                throw PizzaShopError(.invalidValue, "event id is not a UUID", field: "id")
            }
            events[envelope.id] = (eventID, envelope.type)
            messages.append(
                InboxMessage(
                    eventID: envelope.id,
                    group: group,
                    aggregateID: envelope.subject ?? "",
                    previousEventID: check ? envelope.previousid : nil
                )
            )
        }
        return try await inbox.receive(batch: messages) { [events] connection, applied in
            let ids = applied.map { events[$0.eventID]!.id }
            // -- the effects, one row per applied event, positions in batch order
            try await connection.query(
                """
                INSERT INTO pizza_deliveries (consumer_group, event_id, order_id, event_type)
                SELECT \(group), event_id, order_id, event_type
                FROM unnest(\(ids)::uuid[], \(applied.map(\.aggregateID))::text[], \(applied.map { events[$0.eventID]!.type })::text[])
                    WITH ORDINALITY AS e(event_id, order_id, event_type, n)
                ORDER BY n
                """,
                logger: logger
            )
        }
    }

    public func deliveries() async throws -> [DeliveryRecord] {
        // -- every applied effect in application order
        let rows = try await inbox.client.queryRows(
            "SELECT position, consumer_group, event_id, order_id FROM pizza_deliveries ORDER BY position",
            logger: logger
        )
        var result: [DeliveryRecord] = []
        for row in rows {
            let (position, group, eventID, orderID) = try row.decode((Int64, String, UUID, String).self)
            result.append(.init(group: group, eventID: eventID.uuidString.lowercased(), orderID: orderID, position: position))
        }
        return result
    }

    public func inbox() async throws -> [InboxRecord] {
        // -- deliveries per event and group
        let rows = try await inbox.client.queryRows(
            "SELECT consumer_group, event_id, delivery_count FROM consumer_inbox",
            logger: logger
        )
        var result: [InboxRecord] = []
        for row in rows {
            let (group, eventID, count) = try row.decode((String, UUID, Int).self)
            result.append(.init(group: group, eventID: eventID.uuidString.lowercased(), deliveryCount: count))
        }
        return result
    }
}

extension PostgresPizzaOrderRepository: ProducerLedgerSource {
    public func orderIDs() async throws -> [String] {
        // -- ids of all orders
        let rows = try await client.queryRows("SELECT id FROM pizza_orders", logger: logger)
        var ids: [String] = []
        for row in rows { ids.append(try row.decode(UUID.self).uuidString.lowercased()) }
        return ids
    }

    public func outboxEvents() async throws -> [OutboxEvent] {
        try await outbox.allEvents()
    }
}
