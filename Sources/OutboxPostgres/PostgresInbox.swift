import Foundation
import Logging
import Outbox
import PostgresNIO

/// The consumer inbox on PostgreSQL: `consumer_inbox` keyed by (group, event id), written in the
/// same transaction as the consumer's effect.
public struct PostgresInbox: Inbox {
    public let client: PostgresClient
    let logger: Logger

    public init(client: PostgresClient, logger: Logger) {
        self.client = client
        self.logger = logger
    }

    public static let migrations = [
        SchemaMigration(component: "inbox", version: 1, name: "create_consumer_inbox", statements: [
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
            """,
        ]),
    ]

    public func receive(_ message: InboxMessage, effect: (PostgresConnection) async throws -> Void) async throws -> InboxOutcome {
        guard let eventID = UUID(uuidString: message.eventID) else {
            throw OutboxPostgresError(code: .invalidEvent, message: "event id is not a UUID: \(message.eventID)")
        }
        do {
            return try await record(message, eventID: eventID, effect: effect)
        } catch let error as PostgresTransactionError {
            if let outOfOrder = error.closureError as? PreviousEventMissing { return .outOfOrder(waitingFor: outOfOrder.eventID) }
            throw error
        }
    }

    /// Thrown inside the transaction to roll back the inbox row of an event that came too early.
    private struct PreviousEventMissing: Error {
        var eventID: String
    }

    private func record(
        _ message: InboxMessage, eventID: UUID, effect: (PostgresConnection) async throws -> Void
    ) async throws -> InboxOutcome {
        try await client.withTransaction(logger: logger) { connection in
            // -- record the delivery; a repeat only bumps its count (the row lock orders racing repeats)
            let rows = try await connection.query("""
                INSERT INTO consumer_inbox (consumer_group, event_id, order_id)
                VALUES (\(message.group), \(eventID), \(message.aggregateID))
                ON CONFLICT (consumer_group, event_id)
                DO UPDATE SET delivery_count = consumer_inbox.delivery_count + 1, last_received_at = now()
                RETURNING delivery_count
                """, logger: logger)
            var count = 1
            for try await value in rows.decode(Int.self) { count = value }
            guard count == 1 else { return InboxOutcome.duplicate(deliveryCount: count) }
            if let previous = message.previousEventID, let previousID = UUID(uuidString: previous) {
                // -- the aggregate's previous event must have taken effect in this group first
                let found = try await connection.query("""
                    SELECT 1 FROM consumer_inbox WHERE consumer_group = \(message.group) AND event_id = \(previousID)
                    """, logger: logger)
                var exists = false
                for try await _ in found.decode(Int.self) { exists = true }
                if !exists { throw PreviousEventMissing(eventID: previous) }
            }
            try await effect(connection)
            return InboxOutcome.processed
        }
    }
}
