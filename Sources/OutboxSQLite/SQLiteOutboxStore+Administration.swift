import Foundation
import Outbox
import SQLiteNIO

extension SQLiteOutboxStore {
    /// A page of events in sequence order, optionally of one status.
    public func list(status: OutboxStatus?, limit: Int, afterSeq: Int64?) async throws -> [OutboxEvent] {
        let rows = try await storage.read { connection in
            // -- one page of events, optionally of one status, in commit order
            try await connection.query(
                """
                SELECT \(Self.columns) FROM \(table.name)
                WHERE (?1 IS NULL OR status = ?1) AND seq > ?2
                ORDER BY seq LIMIT ?3
                """,
                [status.map { .text($0.rawValue) } ?? .null, .integer(Int(afterSeq ?? 0)), .integer(limit)]
            )
        }
        return try rows.map(Self.event)
    }

    /// A page of events, newest first.
    public func recent(status: OutboxStatus?, limit: Int, beforeSeq: Int64?) async throws -> [OutboxEvent] {
        let rows = try await storage.read { connection in
            // -- one page of events, optionally of one status, newest first
            try await connection.query(
                """
                SELECT \(Self.columns) FROM \(table.name)
                WHERE (?1 IS NULL OR status = ?1) AND seq < ?2
                ORDER BY seq DESC LIMIT ?3
                """,
                [status.map { .text($0.rawValue) } ?? .null, .integer(Int(beforeSeq ?? .max)), .integer(limit)]
            )
        }
        return try rows.map(Self.event)
    }

    /// One event by id.
    public func event(id: UUID) async throws -> OutboxEvent? {
        let rows = try await storage.read { connection in
            // -- the event with this id (its unique index)
            try await connection.query("SELECT \(Self.columns) FROM \(table.name) WHERE id = ?", [.text(id.uuidString.lowercased())])
        }
        return try rows.first.map(Self.event)
    }

    /// Counts (exact up to the limit), the oldest pending age, the last seq and new events by type.
    public func activity(afterSeq: Int64?, countLimit: Int) async throws -> OutboxActivity {
        let t = table.name
        let (totals, types) = try await storage.read { connection in
            // -- pending and failed counted up to the limit (partial indexes), the total, the oldest pending, the last seq
            let totals = try await connection.query(
                """
                SELECT (SELECT count(*) FROM (SELECT 1 FROM \(t) WHERE status = 'pending' LIMIT ?1)) AS pending,
                       (SELECT count(*) FROM (SELECT 1 FROM \(t) WHERE status = 'failed' LIMIT ?1)) AS failed,
                       (SELECT count(*) FROM \(t)) AS total,
                       (SELECT created_at FROM \(t) WHERE status = 'pending' ORDER BY seq LIMIT 1) AS oldest,
                       (SELECT coalesce(max(seq), 0) FROM \(t)) AS last_seq
                """,
                [.integer(countLimit)]
            )
            guard let afterSeq else { return (totals, [SQLiteRow]()) }
            // -- events stored since the last look, by type, up to the limit
            let types = try await connection.query(
                """
                SELECT event_type, count(*) AS n
                FROM (SELECT event_type FROM \(t) WHERE seq > ?1 ORDER BY seq LIMIT ?2)
                GROUP BY event_type
                """,
                [.integer(Int(afterSeq)), .integer(countLimit)]
            )
            return (totals, types)
        }
        let row = totals.first
        var newEvents: [String: Int] = [:]
        for type in types {
            if let name = type.column("event_type")?.string { newEvents[name] = type.column("n")?.integer ?? 0 }
        }
        return OutboxActivity(
            pending: row?.column("pending")?.integer ?? 0,
            failed: row?.column("failed")?.integer ?? 0,
            total: row?.column("total")?.integer ?? 0,
            totalIsEstimate: false,
            countLimit: countLimit,
            oldestPendingAgeSeconds: SQLiteStorage.date(row?.column("oldest")).map { Date().timeIntervalSince($0) },
            lastSeq: Int64(row?.column("last_seq")?.integer ?? 0),
            newEvents: newEvents
        )
    }

    /// Requeues one failed event: pending, due now, attempts reset.
    public func retry(id: UUID) async throws -> RetryResult {
        let key = SQLiteData.text(id.uuidString.lowercased())
        let result = try await storage.write { connection -> RetryResult in
            // -- requeue the event if it is failed: due now, attempts start again, the last error stays
            let updated = try await connection.query(
                """
                UPDATE \(table.name)
                SET status = 'pending', attempts = 0, available_at = ?, locked_by = NULL, locked_until = NULL
                WHERE id = ? AND status = 'failed'
                RETURNING \(Self.columns)
                """,
                [SQLiteStorage.milliseconds(Date()), key]
            )
            if let row = updated.first { return .requeued(try Self.event(row)) }
            // -- not requeued: say why
            let rows = try await connection.query("SELECT status FROM \(table.name) WHERE id = ?", [key])
            guard let status = rows.first?.column("status")?.string else { return .notFound }
            return .notFailed(OutboxStatus(rawValue: status) ?? .pending)
        }
        if case .requeued = result { committed() }
        return result
    }

    /// Requeues up to `limit` failed events, oldest first.
    public func retryFailed(limit: Int) async throws -> Int {
        let count = try await storage.write { connection in
            // -- requeue the oldest failed events
            try await connection.query(
                """
                UPDATE \(table.name)
                SET status = 'pending', attempts = 0, available_at = ?, locked_by = NULL, locked_until = NULL
                WHERE seq IN (SELECT seq FROM \(table.name) WHERE status = 'failed' ORDER BY seq LIMIT ?)
                RETURNING seq
                """,
                [SQLiteStorage.milliseconds(Date()), .integer(limit)]
            ).count
        }
        if count > 0 { committed() }
        return count
    }

    /// Deletes up to `limit` events completed before `cutoff`.
    public func purgeCompleted(publishedBefore cutoff: Date, limit: Int) async throws -> Int? {
        // Writers are serialised, so two purgers never overlap; no extra lock is needed.
        try await storage.write { connection in
            // -- a small batch of old completed events
            try await connection.query(
                """
                DELETE FROM \(table.name)
                WHERE seq IN (SELECT seq FROM \(table.name) WHERE status = 'completed' AND published_at < ? LIMIT ?)
                RETURNING seq
                """,
                [SQLiteStorage.milliseconds(cutoff), .integer(limit)]
            ).count
        }
    }
}
