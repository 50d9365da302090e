import Foundation
import Outbox
import PostgresNIO

extension PostgresOutboxStore {
    /// A page of events in sequence order, optionally of one status (an index scan either way).
    public func list(status: OutboxStatus?, limit: Int, afterSeq: Int64?) async throws -> [OutboxEvent] {
        // Two texts rather than `$1 IS NULL OR …`, so that each is planned for its index: the status's
        // partial index (pending, failed) or the seq index.
        let rows: [PostgresRow]
        if let status {
            // -- one page of events of one status, in commit order
            rows = try await client.queryRows(
                """
                SELECT \(unescaped: Self.columns("o")) FROM \(unescaped: table.name) o
                WHERE o.status = \(status.rawValue) AND o.seq > \(afterSeq ?? 0)
                ORDER BY o.seq LIMIT \(limit)
                """,
                logger: logger
            )
        } else {
            // -- one page of events, in commit order
            rows = try await client.queryRows(
                """
                SELECT \(unescaped: Self.columns("o")) FROM \(unescaped: table.name) o
                WHERE o.seq > \(afterSeq ?? 0) ORDER BY o.seq LIMIT \(limit)
                """,
                logger: logger
            )
        }
        return try Self.decodeEvents(rows)
    }

    /// A page of events, newest first, optionally of one status (an index scan backwards).
    public func recent(status: OutboxStatus?, limit: Int, beforeSeq: Int64?) async throws -> [OutboxEvent] {
        let rows: [PostgresRow]
        if let status {
            // -- one page of events of one status, newest first
            rows = try await client.queryRows(
                """
                SELECT \(unescaped: Self.columns("o")) FROM \(unescaped: table.name) o
                WHERE o.status = \(status.rawValue) AND o.seq < \(beforeSeq ?? .max)
                ORDER BY o.seq DESC LIMIT \(limit)
                """,
                logger: logger
            )
        } else {
            // -- one page of events, newest first
            rows = try await client.queryRows(
                """
                SELECT \(unescaped: Self.columns("o")) FROM \(unescaped: table.name) o
                WHERE o.seq < \(beforeSeq ?? .max) ORDER BY o.seq DESC LIMIT \(limit)
                """,
                logger: logger
            )
        }
        return try Self.decodeEvents(rows)
    }

    /// One event by id (its primary key).
    public func event(id: UUID) async throws -> OutboxEvent? {
        // -- the event with this id
        let rows = try await client.queryRows(
            "SELECT \(unescaped: Self.columns("o")) FROM \(unescaped: table.name) o WHERE o.id = \(id)",
            logger: logger
        )
        return try Self.decodeEvents(rows).first
    }

    /// One statement, every part an index lookup or a bounded index scan: pending and failed counted
    /// up to the limit from their partial indexes; the total from the planner's row estimate once
    /// the table holds more than the limit (a count of millions would take a sequential scan);
    /// the oldest pending event; the last seq; new events by type read from the seq index.
    public func activity(afterSeq: Int64?, countLimit: Int) async throws -> OutboxActivity {
        let t = table.name
        let rows = try await client.queryRows(
            """
            SELECT
              -- pending and failed, counted up to the limit from their partial indexes
              (SELECT count(*) FROM (SELECT 1 FROM \(unescaped: t) WHERE status = 'pending' LIMIT \(countLimit)) p),
              (SELECT count(*) FROM (SELECT 1 FROM \(unescaped: t) WHERE status = 'failed' LIMIT \(countLimit)) f),
              -- all rows: counted when few, else the planner's estimate
              e.estimate > \(countLimit),
              CASE WHEN e.estimate > \(countLimit) THEN e.estimate
                   ELSE (SELECT count(*) FROM (SELECT 1 FROM \(unescaped: t) LIMIT \(countLimit + 1)) a) END,
              -- the oldest pending event's age
              (SELECT extract(epoch FROM now() - created_at)::float8 FROM \(unescaped: t) WHERE status = 'pending' ORDER BY seq LIMIT 1),
              -- the last seq
              (SELECT coalesce(max(seq), 0) FROM \(unescaped: t)),
              -- events since the last look, by type, from the seq index
              (SELECT coalesce(json_object_agg(event_type, n), '{}')::text FROM (
                 SELECT event_type, count(*) AS n FROM (
                   SELECT event_type FROM \(unescaped: t)
                   WHERE \(afterSeq)::bigint IS NOT NULL AND seq > \(afterSeq ?? 0) ORDER BY seq LIMIT \(countLimit)) s
                 GROUP BY event_type) c)
            FROM (SELECT coalesce((SELECT reltuples::bigint FROM pg_class WHERE oid = to_regclass(\(t))), -1) AS estimate) e
            """,
            logger: logger
        )
        guard let row = rows.first else { throw OutboxError(code: .corruptRow, message: "the activity query returned no row") }
        let (pending, failed, estimated, total, age, lastSeq, types) = try row.decode((Int, Int, Bool, Int, Double?, Int64, String).self)
        let newEvents = (try? JSONDecoder().decode([String: Int].self, from: Data(types.utf8))) ?? [:]
        return OutboxActivity(
            pending: pending,
            failed: failed,
            total: total,
            totalIsEstimate: estimated,
            countLimit: countLimit,
            oldestPendingAgeSeconds: age,
            lastSeq: lastSeq,
            newEvents: newEvents
        )
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
