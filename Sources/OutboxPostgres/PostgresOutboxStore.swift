import Foundation
import Logging
import Outbox
import PostgresNIO

/// The outbox on PostgreSQL. Applications write events with `enqueue(_:on:)` inside their own
/// transaction; relays claim them with `FOR UPDATE SKIP LOCKED` and a lease.
public struct PostgresOutboxStore: OutboxStore {
    /// The pool the store runs on; run it (it is a `Service`) before using the store.
    public let client: any PostgresConnectionSource
    /// The outbox table (default `pizza_order_outbox`).
    public let table: SQLIdentifier
    /// The NOTIFY channel relays LISTEN on (`<table>_wakeup`).
    public let channel: SQLIdentifier
    let logger: Logger

    /// Server settings for the connections relays claim on. Every claim turns `pending` rows into
    /// `completed` ones, leaving dead entries in the pending index until the next vacuum; a bitmap
    /// scan (the planner's choice when few rows are pending) reads all of them on every claim, while
    /// an index scan marks them dead once and then skips them. Measured by scripts/bench: a claim
    /// behind 5,000 completed events took 0.6–0.9 ms with the bitmap scan and 0.05 ms without.
    /// Sequential scans are off as well: the planner cannot estimate how many pending events pass
    /// the previous-event check, and once the pending rows no longer lie in `seq` order on disk it
    /// preferred reading all of them (and looking up every one's previous event) to walking the
    /// pending index until the batch is full — 167 ms a claim instead of 11 in the bench.
    /// JIT is off too: the claim's cost estimate over a large backlog crosses `jit_above_cost`, and
    /// compiling took 115 ms of a claim that runs in 4.
    public static let relaySettings: [(String, String)] = [("enable_bitmapscan", "off"), ("enable_seqscan", "off"), ("jit", "off")]

    /// A store on `table` (a plain identifier; the schema comes from the connection's `search_path`).
    public init(client: any PostgresConnectionSource, table: String = "pizza_order_outbox", logger: Logger) throws(OutboxError) {
        self.client = client
        self.table = try SQLIdentifier(table)
        self.channel = try self.table.suffixed("_wakeup")
        self.logger = logger
    }

    /// Writes events in the caller's transaction and schedules a NOTIFY that fires on commit, in one
    /// statement. With `statement` (a data-modifying statement of the application's, such as the
    /// INSERT of the order), that statement runs in the same SQL statement as a CTE: one round trip
    /// for the application's write and its events. The two do not see each other's rows.
    public func enqueue(
        _ events: [NewOutboxEvent],
        along statement: PostgresQuery? = nil,
        on connection: PostgresConnection,
        logger: Logger
    ) async throws {
        guard !events.isEmpty else {
            if let statement { try await connection.query(statement, logger: logger) }
            return
        }
        var ids: [UUID] = []
        var types: [String] = []
        var aggregates: [String] = []
        var eventTypes: [String] = []
        var payloads: [String] = []
        var headers: [String] = []
        var times: [Date] = []
        for event in events {
            ids.append(event.id)
            types.append(event.aggregateType)
            aggregates.append(event.aggregateID)
            eventTypes.append(event.eventType)
            payloads.append(event.payload)
            headers.append(OutboxHeaders.encode(event.headers))
            times.append(event.occurredAt)
        }
        // The application's binds come first; ours are numbered after them.
        var binds = statement?.binds ?? PostgresBindings()
        let first = binds.count
        binds.append(ids)
        binds.append(types)
        binds.append(aggregates)
        binds.append(eventTypes)
        binds.append(payloads)
        binds.append(headers)
        binds.append(times)
        binds.append(channel.name)
        func bind(_ n: Int) -> String { "$\(first + n)" }
        let application = statement.map { "application AS (\n\($0.sql)\n),\n" } ?? ""
        let sql = """
            -- the application's write (if any), then the events in one insert (seq follows list order)
            WITH \(application)events AS (
                INSERT INTO \(table.name) (id, aggregate_type, aggregate_id, event_type, payload, headers, created_at)
                SELECT id, aggregate_type, aggregate_id, event_type, payload::jsonb, headers::jsonb, created_at
                FROM unnest(\(bind(1))::uuid[], \(bind(2))::text[], \(bind(3))::text[], \(bind(4))::text[],
                            \(bind(5))::text[], \(bind(6))::text[], \(bind(7))::timestamptz[])
                    WITH ORDINALITY AS e(id, aggregate_type, aggregate_id, event_type, payload, headers, created_at, n)
                ORDER BY n
            )
            -- wake relays when (and only if) the transaction commits
            SELECT pg_notify(\(bind(8)), '')
            """
        // Read to the end (preparedRows collects every row): PostgreSQL finishes the CTEs after
        // sending the row, so their errors (a constraint of the application's statement, say)
        // arrive only then. Unread, they would be lost and the transaction's COMMIT would quietly
        // roll back.
        try await connection.preparedRows(PostgresQuery(unsafeSQL: sql, binds: binds), logger: logger)
    }

    /// Writes one event in the caller's transaction.
    public func enqueue(
        _ event: NewOutboxEvent,
        along statement: PostgresQuery? = nil,
        on connection: PostgresConnection,
        logger: Logger
    ) async throws {
        try await enqueue([event], along: statement, on: connection, logger: logger)
    }

    /// Leases up to `limit` due events with `FOR UPDATE SKIP LOCKED`, in order per aggregate, in one statement.
    public func claim(limit: Int, owner: String, leaseDuration: Duration) async throws -> ClaimedBatch {
        try await runClaim(Self.claimStatement(table: table, limit: limit, owner: owner, leaseDuration: leaseDuration), owner: owner)
    }

    /// Marks the earlier batch's published events and claims the next batch in one statement: one
    /// round trip where `complete` and `claim` take two. An aggregate's next event is claimable at
    /// once when its previous event is among `published`.
    public func markPublishedAndClaim(_ published: [UUID], owner: String, limit: Int, leaseDuration: Duration) async throws -> ClaimedBatch {
        try await runClaim(
            Self.claimStatement(table: table, limit: limit, owner: owner, leaseDuration: leaseDuration, marking: published),
            owner: owner
        )
    }

    /// Runs a claim statement and returns its events in sequence order.
    private func runClaim(_ statement: PostgresQuery, owner: String) async throws -> ClaimedBatch {
        let rows = try await client.preparedRows(statement, logger: logger)
        var events = try Self.decodeEvents(rows, withPrevious: true)
        events.sort { $0.seq < $1.seq }
        return ClaimedBatch(owner: owner, events: events)
    }

    /// The claim, as the relay runs it (and `pizza outbox sql` prints it for scripts/bench, which
    /// reads the claimed rows through another `projection`). Binds, in order: the limit, the owner,
    /// the lease in milliseconds, and with `marking`, the ids of the published events to mark first.
    package static func claimStatement(
        table: SQLIdentifier,
        limit: Int,
        owner: String,
        leaseDuration: Duration,
        projection: String = "*",
        marking published: [UUID]? = nil
    ) -> PostgresQuery {
        // The marks see the statement's snapshot, as the claim does: the claim counts an event marked
        // here as completed through `marked`, not through its row.
        let marked =
            published == nil
            ? ""
            : """
            marked AS (
                -- 0. the earlier batch's published events: completed, where this relay still holds them
                UPDATE \(table.name) m
                SET status = 'completed', published_at = now(), locked_by = NULL, locked_until = NULL
                WHERE m.id = ANY($4::uuid[]) AND m.locked_by = $2 AND m.status = 'pending'
                RETURNING m.id
            ),

            """
        let markedIsCompleted = published == nil ? "" : " OR previous.id IN (SELECT id FROM marked)"
        var query: PostgresQuery = """
            WITH \(unescaped: marked)due AS (
                -- 1. due, unleased events, oldest first, each with its aggregate's previous event (one
                -- index lookup); rows another relay is claiming right now are skipped
                SELECT o.id, previous.id AS previous_id FROM \(unescaped: table.name) o
                LEFT JOIN LATERAL (
                    SELECT p.id, p.status FROM \(unescaped: table.name) p
                    WHERE p.aggregate_id = o.aggregate_id AND p.seq < o.seq ORDER BY p.seq DESC LIMIT 1
                ) previous ON true
                WHERE o.status = 'pending'
                  AND o.available_at <= now()
                  AND (o.locked_until IS NULL OR o.locked_until < now())
                  -- 2. never overtake an unfinished earlier event of the same aggregate: events complete
                  -- in order (a claim waits for its previous event, a retry revives only failed ones),
                  -- so a completed previous event means every earlier one is completed
                  AND (previous.id IS NULL OR previous.status = 'completed'\(unescaped: markedIsCompleted))
                ORDER BY o.seq
                LIMIT \(limit)
                FOR UPDATE OF o SKIP LOCKED
            )
            , claimed AS (
                -- 3. lease them to this relay (the lease expires if it crashes), returning each with the id
                -- of its aggregate's previous event, for the consumer's order check
                UPDATE \(unescaped: table.name) t
                SET locked_by = \(owner), locked_until = now() + \(leaseDuration.wholeMilliseconds) * interval '1 millisecond'
                FROM due WHERE t.id = due.id
                RETURNING \(unescaped: Self.columns("t")), due.previous_id
            )
            SELECT \(unescaped: projection) FROM claimed
            """
        if let published { query.binds.append(published) }
        return query
    }

    /// Applies every outcome of the batch in one statement, only where `owner` still holds the lease.
    public func complete(_ outcomes: [DeliveryOutcome], owner: String) async throws {
        guard !outcomes.isEmpty else { return }
        try await client.preparedRows(Self.completeStatement(table: table, outcomes: outcomes, owner: owner), logger: logger)
    }

    /// Every outcome of a batch in one statement (one round trip, atomic on its own), as River's
    /// `JobSetStateIfRunningMany` does: one row per event with what happened to it. Binds, in order:
    /// ids, outcomes (`published`, `retry`, `released`, `parked`), errors, retry times, the owner.
    package static func completeStatement(table: SQLIdentifier, outcomes: [DeliveryOutcome], owner: String) -> PostgresQuery {
        var ids: [UUID] = []
        var kinds: [String] = []
        var errors: [String] = []
        var retryAt: [Date] = []
        ids.reserveCapacity(outcomes.count)
        for outcome in outcomes {
            switch outcome {
            case .published(let id):
                ids.append(id)
                kinds.append("published")
                errors.append("")
                retryAt.append(.distantPast)
            case .failed(let id, let error, let at?):
                ids.append(id)
                kinds.append("retry")
                errors.append(error)
                retryAt.append(at)
            case .failed(let id, let error, nil):
                ids.append(id)
                kinds.append("parked")
                errors.append(error)
                retryAt.append(.distantPast)
            case .released(let id, let error):
                ids.append(id)
                kinds.append("released")
                errors.append(error)
                retryAt.append(.distantPast)
            }
        }
        return """
            -- published: completed; retry: attempt counted, error kept, backed off; released (broker
            -- unreachable): freed, no attempt counted; parked: out of attempts, failed with its error.
            -- Only where this relay still holds the lease: a relay whose lease expired changes nothing.
            UPDATE \(unescaped: table.name) t
            SET status = CASE f.kind WHEN 'published' THEN 'completed' WHEN 'parked' THEN 'failed' ELSE 'pending' END,
                attempts = t.attempts + CASE WHEN f.kind IN ('retry', 'parked') THEN 1 ELSE 0 END,
                last_error = CASE WHEN f.kind = 'published' THEN t.last_error ELSE f.error END,
                available_at = CASE WHEN f.kind = 'retry' THEN f.retry_at ELSE t.available_at END,
                published_at = CASE WHEN f.kind = 'published' THEN now() ELSE t.published_at END,
                locked_by = NULL, locked_until = NULL
            FROM unnest(\(ids)::uuid[], \(kinds)::text[], \(errors)::text[], \(retryAt)::timestamptz[]) AS f(id, kind, error, retry_at)
            WHERE t.id = f.id AND t.locked_by = \(owner) AND t.status = 'pending'
            """
    }

    /// The aggregate's events in commit order.
    public func events(aggregateID: String) async throws -> [OutboxEvent] {
        // -- every event of one aggregate, in commit order
        let rows = try await client.queryRows(
            """
            SELECT \(unescaped: Self.columns("o")) FROM \(unescaped: table.name) o
            WHERE o.aggregate_id = \(aggregateID) ORDER BY o.seq
            """,
            logger: logger
        )
        return try Self.decodeEvents(rows)
    }

    /// Every event in sequence order (verification tools; not for hot paths).
    public func allEvents() async throws -> [OutboxEvent] {
        // -- the whole outbox in commit order
        let rows = try await client.queryRows(
            """
            SELECT \(unescaped: Self.columns("o")) FROM \(unescaped: table.name) o ORDER BY o.seq
            """,
            logger: logger
        )
        return try Self.decodeEvents(rows)
    }

    /// Counts per status and the oldest pending event's age, in one query.
    public func stats() async throws -> OutboxStats {
        // -- counts per status and the age of the oldest pending event
        let rows = try await client.queryRows(
            """
            SELECT count(*) FILTER (WHERE status = 'pending'),
                   count(*) FILTER (WHERE status = 'completed'),
                   count(*) FILTER (WHERE status = 'failed'),
                   extract(epoch FROM now() - min(created_at) FILTER (WHERE status = 'pending'))::float8
            FROM \(unescaped: table.name)
            """,
            logger: logger
        )
        if let row = rows.first {
            let (pending, completed, failed, age) = try row.decode((Int, Int, Int, Double?).self)
            return OutboxStats(pending: pending, completed: completed, failed: failed, oldestPendingAgeSeconds: age)
        }
        return OutboxStats(pending: 0, completed: 0, failed: 0, oldestPendingAgeSeconds: nil)
    }

    /// Runs one `SELECT 1`: whether the database answers.
    public func ping() async throws {
        try await client.queryRows("SELECT 1", logger: logger)
    }

    static func columns(_ alias: String) -> String {
        [
            "id", "seq", "aggregate_type", "aggregate_id", "event_type", "payload::text", "headers::text",
            "status", "attempts", "last_error", "available_at", "created_at", "published_at",
        ]
        .map { "\(alias).\($0)" }.joined(separator: ", ")
    }

    /// Decodes the rows of a statement run on a connection (in a transaction).
    static func decodeEvents(_ rows: PostgresRowSequence, withPrevious: Bool = false) async throws -> [OutboxEvent] {
        try decodeEvents(try await rows.collect(), withPrevious: withPrevious)
    }

    /// Decodes rows of `columns(_:)`, followed by the previous event's id when `withPrevious`.
    static func decodeEvents(_ rows: [PostgresRow], withPrevious: Bool = false) throws -> [OutboxEvent] {
        var events: [OutboxEvent] = []
        for row in rows {
            let previous = withPrevious ? try row.makeRandomAccess()[13].decode(UUID?.self) : nil
            let c = try row.decode(
                (UUID, Int64, String, String, String, String, String, String, Int, String?, Date, Date, Date?).self
            )
            events.append(
                OutboxEvent(
                    id: c.0,
                    seq: c.1,
                    aggregateType: c.2,
                    aggregateID: c.3,
                    eventType: c.4,
                    payload: c.5,
                    headers: OutboxHeaders.decode(c.6),
                    status: OutboxStatus(rawValue: c.7) ?? .pending,
                    attempts: c.8,
                    lastError: c.9,
                    availableAt: c.10,
                    createdAt: c.11,
                    publishedAt: c.12,
                    previousID: previous
                )
            )
        }
        return events
    }
}
