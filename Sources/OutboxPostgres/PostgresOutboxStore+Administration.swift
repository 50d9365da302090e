import Foundation
import Outbox
import PostgresNIO

extension PostgresOutboxStore {
    /// A page of events in sequence order, optionally of one status (an index scan either way).
    public func list(status: OutboxStatus?, limit: Int, afterSeq: Int64?) async throws -> [OutboxEvent] {
        // -- one page of events, optionally of one status, in commit order
        let rows = try await client.queryRows(
            """
            SELECT \(unescaped: Self.columns("o")) FROM \(unescaped: table.name) o
            WHERE (\(status?.rawValue)::text IS NULL OR o.status = \(status?.rawValue))
              AND o.seq > \(afterSeq ?? 0)
            ORDER BY o.seq LIMIT \(limit)
            """,
            logger: logger
        )
        return try Self.decodeEvents(rows)
    }

    /// Requeues one failed event: pending, due now, attempts reset.
    public func retry(id: UUID) async throws -> RetryResult {
        try await client.transaction(logger: logger) { connection in
            // -- requeue the event if it is failed: due now, attempts start again, the last error stays
            let updated = try await Self.decodeEvents(
                connection.query(
                    """
                    UPDATE \(unescaped: table.name) o
                    SET status = 'pending', attempts = 0, available_at = now(), locked_by = NULL, locked_until = NULL
                    WHERE o.id = \(id) AND o.status = 'failed'
                    RETURNING \(unescaped: Self.columns("o"))
                    """,
                    logger: logger
                )
            )
            if let event = updated.first {
                // -- wake relays on commit
                try await connection.query("SELECT pg_notify(\(channel.name), '')", logger: logger)
                return .requeued(event)
            }
            // -- not requeued: say why
            let rows = try await connection.query(
                "SELECT status FROM \(unescaped: table.name) WHERE id = \(id)",
                logger: logger
            )
            for try await status in rows.decode(String.self) {
                return .notFailed(OutboxStatus(rawValue: status) ?? .pending)
            }
            return .notFound
        }
    }

    /// Requeues up to `limit` failed events, oldest first.
    public func retryFailed(limit: Int) async throws -> Int {
        try await client.transaction(logger: logger) { connection in
            // -- requeue the oldest failed events
            let rows = try await connection.query(
                """
                UPDATE \(unescaped: table.name) t
                SET status = 'pending', attempts = 0, available_at = now(), locked_by = NULL, locked_until = NULL
                WHERE t.id IN (SELECT id FROM \(unescaped: table.name) WHERE status = 'failed' ORDER BY seq LIMIT \(limit))
                RETURNING t.id
                """,
                logger: logger
            )
            var count = 0
            for try await _ in rows.decode(UUID.self) { count += 1 }
            // -- wake relays on commit
            if count > 0 { try await connection.query("SELECT pg_notify(\(channel.name), '')", logger: logger) }
            return count
        }
    }

    /// Deletes up to `limit` events completed before `cutoff` in one transaction.
    public func purgeCompleted(publishedBefore cutoff: Date, limit: Int) async throws -> Int? {
        let lockKey = "outbox-retention:\(table.name)"
        return try await client.transaction(logger: logger) { connection -> Int? in
            // -- one purger at a time across all relays of this table; the lock ends with the transaction
            let locked = try await connection.query(
                "SELECT pg_try_advisory_xact_lock(hashtextextended(current_schema() || '/' || \(lockKey), 0))",
                logger: logger
            )
            for try await held in locked.decode(Bool.self) where !held { return nil }
            // -- a small batch of old completed events; rows locked by anyone else are left for next time
            let rows = try await connection.query(
                """
                DELETE FROM \(unescaped: table.name) t
                WHERE t.id IN (
                    SELECT id FROM \(unescaped: table.name)
                    WHERE status = 'completed' AND published_at < \(cutoff)
                    LIMIT \(limit) FOR UPDATE SKIP LOCKED)
                RETURNING t.id
                """,
                logger: logger
            )
            var count = 0
            for try await _ in rows.decode(UUID.self) { count += 1 }
            return count
        }
    }
}
