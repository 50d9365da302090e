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
            ),
            SchemaMigration(
                component: "pizza-consumer",
                version: 2,
                name: "add_pizza_deliveries_committed_at",
                statements: [
                    // The event's commit time beside its effect's: commit → effect latency from the table.
                    "ALTER TABLE pizza_deliveries ADD COLUMN IF NOT EXISTS committed_at timestamptz"
                ]
            ),
            PostgresInbox.migration(creating: recordDeliveries, component: "pizza-consumer", version: 3, name: "create_record_deliveries_procedure"),
        ]

    public func record(_ envelope: Envelope, group: String, checkOrder: Bool) async throws -> InboxOutcome {
        try await record(batch: [envelope], group: group, checkOrder: [checkOrder])[0]
    }

    public func record(batch envelopes: [Envelope], group: String, checkOrder: [Bool]) async throws -> [InboxOutcome] {
        var messages: [InboxMessage] = []
        var ids: [UUID] = []
        for (envelope, check) in zip(envelopes, checkOrder) {
            guard let eventID = UUID(uuidString: envelope.id) else {
                throw PizzaShopError(.invalidValue, "event id is not a UUID", field: "id")
            }
            ids.append(eventID)
            messages.append(
                InboxMessage(
                    eventID: envelope.id,
                    group: group,
                    aggregateID: envelope.subject ?? "",
                    previousEventID: check ? envelope.previousid : nil
                )
            )
        }
        // One call: the inbox's rules, the effects of what takes effect now, and the commit.
        var values = PostgresBindings(capacity: 5)
        values.append(group)
        values.append(ids)
        values.append(messages.map(\.aggregateID))
        values.append(envelopes.map(\.type))
        values.append(envelopes.map(\.time))
        return try await inbox.receive(batch: messages, through: Self.recordDeliveries, binds: values)
    }

    /// The effects, one row per applied event, positions in batch order: `$1` the group, then the
    /// batch's event ids, order ids, event types and commit times.
    static let recordDeliveries: PostgresCommitProcedure = {
        do {
            return try PostgresCommitProcedure(
                name: "pizza_record_deliveries",
                parameterTypes: ["text", "uuid[]", "text[]", "text[]", "timestamptz[]"],
                statement: """
                    INSERT INTO pizza_deliveries (consumer_group, event_id, order_id, event_type, committed_at)
                    SELECT $1::text, event_id, order_id, event_type, committed_at
                    FROM unnest($2::uuid[], $3::text[], $4::text[], $5::timestamptz[])
                        WITH ORDINALITY AS e(event_id, order_id, event_type, committed_at, n)
                    WHERE n = ANY(outbox_applied)
                    ORDER BY n
                    """
            )
        } catch {
            preconditionFailure("the deliveries procedure's definition is invalid: \(error)")
        }
    }()

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

extension PostgresDeliveryRecorder: EffectReader {
    public func effects(eventIDs: [String], groups: [String]) async throws -> [AppliedEffect] {
        let ids = eventIDs.compactMap(UUID.init(uuidString:))
        guard !ids.isEmpty, !groups.isEmpty else { return [] }
        // -- the inbox rows of these events in these groups (its primary key)
        return try await readEffects(
            """
            SELECT consumer_group, event_id, order_id, first_received_at, delivery_count FROM consumer_inbox
            WHERE consumer_group = ANY(\(groups)::text[]) AND event_id = ANY(\(ids)::uuid[])
            ORDER BY first_received_at
            """
        )
    }

    public func effects(orderID: String, groups: [String]) async throws -> [AppliedEffect] {
        guard !groups.isEmpty else { return [] }
        // -- one order's effects per group (the deliveries' group index), with the inbox's counts
        return try await readEffects(
            """
            SELECT d.consumer_group, d.event_id, d.order_id, d.delivered_at, coalesce(i.delivery_count, 1)
            FROM pizza_deliveries d
            LEFT JOIN consumer_inbox i ON i.consumer_group = d.consumer_group AND i.event_id = d.event_id
            WHERE d.consumer_group = ANY(\(groups)::text[]) AND d.order_id = \(orderID)
            ORDER BY d.position
            """
        )
    }

    private func readEffects(_ query: PostgresQuery) async throws -> [AppliedEffect] {
        var effects: [AppliedEffect] = []
        for row in try await inbox.client.queryRows(query, logger: logger) {
            let (group, eventID, orderID, appliedAt, count) = try row.decode((String, UUID, String, Date, Int).self)
            effects.append(
                .init(group: group, eventID: eventID.uuidString.lowercased(), orderID: orderID, appliedAt: appliedAt, deliveryCount: count)
            )
        }
        return effects
    }

    public func recentEffects(afterPosition position: Int64?, limit: Int) async throws -> RecentEffects {
        guard let position else {
            // -- where the deliveries end now
            let rows = try await inbox.client.queryRows("SELECT coalesce(max(position), 0) FROM pizza_deliveries", logger: logger)
            return RecentEffects(lastPosition: try rows.first?.decode(Int64.self) ?? 0, latencies: [:])
        }
        // -- effects after the last look (primary key range), with commit → effect
        let rows = try await inbox.client.queryRows(
            """
            SELECT position, consumer_group, extract(epoch FROM delivered_at - committed_at)::float8
            FROM pizza_deliveries WHERE position > \(position) ORDER BY position LIMIT \(limit)
            """,
            logger: logger
        )
        var result = RecentEffects(lastPosition: position, latencies: [:])
        for row in rows {
            let (next, group, latency) = try row.decode((Int64, String, Double?).self)
            result.lastPosition = next
            if let latency { result.latencies[group, default: []].append(max(0, latency)) }
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
