import Foundation
import Logging
import Outbox
import PostgresNIO

/// The consumer inbox on PostgreSQL: `consumer_inbox` keyed by (group, event id), written in the
/// same transaction as the consumer's effect.
public struct PostgresInbox: Inbox {
    /// The pool whose transactions record deliveries and run effects.
    public let client: any PostgresConnectionSource
    let logger: Logger

    /// An inbox on `client`'s database (apply `migrations` first).
    public init(client: any PostgresConnectionSource, logger: Logger) {
        self.client = client
        self.logger = logger
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
                    consumer_group text NOT NULL,
                    event_id uuid NOT NULL,
                    order_id text NOT NULL,
                    first_received_at timestamptz NOT NULL DEFAULT now(),
                    last_received_at timestamptz NOT NULL DEFAULT now(),
                    delivery_count integer NOT NULL DEFAULT 1,
                    PRIMARY KEY (consumer_group, event_id)
                )
                """
            ]
        )
    ]

    /// One delivery: a batch of one.
    public func receive(_ message: InboxMessage, effect: @escaping @Sendable (PostgresConnection) async throws -> Void) async throws -> InboxOutcome {
        try await receive(batch: [message]) { connection, applied in
            if !applied.isEmpty { try await effect(connection) }
        }[0]
    }

    private struct Key: Hashable, Sendable {
        var group: String
        var eventID: UUID
    }

    /// The whole batch in one transaction: one read of what the group already recorded, one insert
    /// of the batch's deliveries, then the effect with the messages that take effect now.
    public func receive(
        batch messages: [InboxMessage],
        effect: @escaping @Sendable (PostgresConnection, [InboxMessage]) async throws -> Void
    ) async throws -> [InboxOutcome] {
        guard !messages.isEmpty else { return [] }
        let keys = try messages.map { message throws(OutboxError) in
            guard let eventID = UUID(uuidString: message.eventID) else {
                throw OutboxError(code: .invalidEvent, message: "event id is not a UUID: \(message.eventID)")
            }
            return Key(group: message.group, eventID: eventID)
        }
        return try await client.transaction(logger: logger) { connection in
            // Only an event whose previous event is outside the batch needs a look at what the group
            // recorded before; repeats show up in the insert below either way.
            var recorded = Set<Key>()
            var earlier = Set<Key>()
            var lookup: [Key] = []
            for (index, message) in messages.enumerated() {
                if let previous = message.previousEventID.flatMap(UUID.init(uuidString:)),
                    !earlier.contains(Key(group: message.group, eventID: previous))
                {
                    lookup.append(Key(group: message.group, eventID: previous))
                }
                earlier.insert(keys[index])
            }
            if !lookup.isEmpty {
                lookup += keys
                // -- which of the batch's events, and of their previous events, the groups recorded already
                let rows = try await connection.preparedRows(
                    """
                    SELECT i.consumer_group, i.event_id FROM consumer_inbox i
                    JOIN unnest(\(lookup.map(\.group))::text[], \(lookup.map(\.eventID))::uuid[]) AS k(consumer_group, event_id)
                      ON i.consumer_group = k.consumer_group AND i.event_id = k.event_id
                    """,
                    logger: logger
                )
                for row in rows {
                    let (group, eventID) = try row.decode((String, UUID).self)
                    recorded.insert(Key(group: group, eventID: eventID))
                }
            }

            // Decide in batch order: a repeat is a duplicate, an event whose previous event is neither
            // recorded nor earlier in this batch is refused, everything else takes effect.
            var occurrences: [Key: Int] = [:]
            var fresh = Set<Key>()
            var refused: [Int: String] = [:]
            func isApplied(_ eventID: String, group: String) -> Bool {
                // Not a UUID: no event of ours, so nothing to wait for (as in `receive(_:effect:)`).
                guard let id = UUID(uuidString: eventID) else { return true }
                let key = Key(group: group, eventID: id)
                return recorded.contains(key) || fresh.contains(key)
            }
            var order: [Key] = []
            var aggregates: [String] = []
            for (index, message) in messages.enumerated() {
                let key = keys[index]
                if recorded.contains(key) || fresh.contains(key) {
                    if occurrences[key] == nil {
                        order.append(key)
                        aggregates.append(message.aggregateID)
                    }
                    occurrences[key, default: 0] += 1
                } else if let previous = message.previousEventID, !isApplied(previous, group: key.group) {
                    refused[index] = previous
                } else {
                    fresh.insert(key)
                    order.append(key)
                    aggregates.append(message.aggregateID)
                    occurrences[key] = 1
                }
            }
            // -- record every accepted delivery at once; a repeat only adds to its count (the row lock
            // -- orders racing consumers, so each event is fresh for exactly one of them)
            var counts: [Key: Int] = [:]
            if !order.isEmpty {
                let inserted = try await connection.preparedRows(
                    """
                    INSERT INTO consumer_inbox AS i (consumer_group, event_id, order_id, delivery_count)
                    SELECT consumer_group, event_id, order_id, delivery_count
                    FROM unnest(\(order.map(\.group))::text[], \(order.map(\.eventID))::uuid[],
                                \(aggregates)::text[],
                                \(order.map { occurrences[$0]! })::integer[])
                        AS b(consumer_group, event_id, order_id, delivery_count)
                    ON CONFLICT (consumer_group, event_id)
                    DO UPDATE SET delivery_count = i.delivery_count + excluded.delivery_count, last_received_at = now()
                    RETURNING i.consumer_group, i.event_id, i.delivery_count
                    """,
                    logger: logger
                )
                for row in inserted {
                    let (group, eventID, count) = try row.decode((String, UUID, Int).self)
                    counts[Key(group: group, eventID: eventID)] = count
                }
            }
            // Outcomes: the first delivery of an event recorded just now takes effect; the rest are repeats.
            var outcomes: [InboxOutcome] = []
            var applied: [InboxMessage] = []
            var seen: [Key: Int] = [:]
            for (index, message) in messages.enumerated() {
                if let previous = refused[index] {
                    outcomes.append(.outOfOrder(waitingFor: previous))
                    continue
                }
                let key = keys[index]
                let total = counts[key] ?? 1
                let before = total - occurrences[key]!
                let nth = seen[key, default: 0] + 1
                seen[key] = nth
                if before == 0 && nth == 1 {
                    outcomes.append(.processed)
                    applied.append(message)
                } else {
                    outcomes.append(.duplicate(deliveryCount: before + nth))
                }
            }
            if !applied.isEmpty { try await effect(connection, applied) }
            return outcomes
        }
    }
}
