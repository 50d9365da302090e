import Foundation

/// A batch of events leased to one relay; other relays skip them until the lease expires.
public struct ClaimedBatch: Sendable {
    /// Who holds the lease; marks are only applied by the holder.
    public var owner: String
    /// The leased events, in sequence order.
    public var events: [OutboxEvent]

    /// A batch leased to `owner`.
    public init(owner: String, events: [OutboxEvent]) {
        self.owner = owner
        self.events = events
    }
}

/// What happened to one claimed event, reported back to the store in one transaction.
public enum DeliveryOutcome: Sendable, Equatable {
    /// Published: the event becomes `completed`.
    case published(id: UUID)
    /// Not published: retry at `retryAt`, or park as `failed` when `retryAt` is nil.
    case failed(id: UUID, error: String, retryAt: Date?)
    /// Not attempted through no fault of the event (the broker was unreachable): the lease is
    /// dropped and the error kept, but no attempt is counted, so an outage never parks events.
    case released(id: UUID, error: String)

    /// The event the outcome is about.
    public var id: UUID {
        switch self {
        case .published(let id), .failed(let id, _, _), .released(let id, _): id
        }
    }
}

/// Counts per status and the age of the oldest due event.
public struct OutboxStats: Sendable, Equatable, Codable {
    /// Events not yet published (including those waiting for a retry).
    public var pending: Int
    /// Events published and marked.
    public var completed: Int
    /// Events parked after their last attempt.
    public var failed: Int
    /// Age of the oldest pending event, nil when none is pending: the relay's lag.
    public var oldestPendingAgeSeconds: Double?

    /// Counts as a store read them.
    public init(pending: Int, completed: Int, failed: Int, oldestPendingAgeSeconds: Double?) {
        self.pending = pending
        self.completed = completed
        self.failed = failed
        self.oldestPendingAgeSeconds = oldestPendingAgeSeconds
    }
}

/// The outbox at a glance, cheap enough to read every second on a table of millions of events:
/// counts stop at a limit, and a large table's total is the planner's estimate.
public struct OutboxActivity: Sendable, Equatable {
    /// Pending events, counted up to `countLimit`.
    public var pending: Int
    /// Failed (parked) events, counted up to `countLimit`.
    public var failed: Int
    /// Events stored in all; an estimate when `totalIsEstimate`.
    public var total: Int
    /// Whether `total` is the database's estimate rather than a count.
    public var totalIsEstimate: Bool
    /// The limit the counts stopped at: a count equal to it means "at least".
    public var countLimit: Int
    /// Age of the oldest pending event, nil when none is pending.
    public var oldestPendingAgeSeconds: Double?
    /// The highest sequence number stored, 0 when the table is empty: pass it back as `afterSeq`.
    public var lastSeq: Int64
    /// Events stored after the `afterSeq` asked for, by event type (up to `countLimit` of them).
    public var newEvents: [String: Int]

    /// Figures as a store read them.
    public init(
        pending: Int,
        failed: Int,
        total: Int,
        totalIsEstimate: Bool,
        countLimit: Int,
        oldestPendingAgeSeconds: Double?,
        lastSeq: Int64,
        newEvents: [String: Int]
    ) {
        self.pending = pending
        self.failed = failed
        self.total = total
        self.totalIsEstimate = totalIsEstimate
        self.countLimit = countLimit
        self.oldestPendingAgeSeconds = oldestPendingAgeSeconds
        self.lastSeq = lastSeq
        self.newEvents = newEvents
    }

    /// Completed events: the total less pending and failed (an estimate when the total is).
    public var completed: Int { max(0, total - pending - failed) }
}

/// What `retry(id:)` did.
public enum RetryResult: Sendable, Equatable {
    /// The failed event is pending again, with a fresh set of attempts.
    case requeued(OutboxEvent)
    /// No event has that id.
    case notFound
    /// The event exists but is not failed; nothing changed.
    case notFailed(OutboxStatus)
}

/// The outbox table as the relay sees it. Writing events happens in the application's own
/// transaction through the driver's `enqueue(_:on:)`, which is not part of this protocol because
/// its connection type is the driver's.
public protocol OutboxStore: Sendable {
    /// Leases up to `limit` due events, oldest first, skipping events leased by others and any event
    /// whose predecessor for the same aggregate is not yet completed.
    func claim(limit: Int, owner: String, leaseDuration: Duration) async throws -> ClaimedBatch

    /// Applies the outcomes of a claimed batch in one transaction: a failure adds one attempt and keeps
    /// its error text. Outcomes for events whose lease passed to another owner are ignored.
    func complete(_ outcomes: [DeliveryOutcome], owner: String) async throws

    /// Completes `published` (events of `owner`'s earlier batch the broker confirmed), then claims as
    /// ``claim(limit:owner:leaseDuration:)`` does; an aggregate's next event is claimable at once when
    /// its previous event is among `published`. Drivers with round trips do both in one; the default
    /// calls ``complete(_:owner:)`` and then ``claim(limit:owner:leaseDuration:)``.
    func markPublishedAndClaim(_ published: [UUID], owner: String, limit: Int, leaseDuration: Duration) async throws -> ClaimedBatch

    /// The stored events of one aggregate, in sequence order.
    func events(aggregateID: String) async throws -> [OutboxEvent]

    /// Counts per status.
    func stats() async throws -> OutboxStats

    /// Up to `limit` events with `status` (any status when nil), oldest first, starting after `afterSeq`.
    func list(status: OutboxStatus?, limit: Int, afterSeq: Int64?) async throws -> [OutboxEvent]

    /// Up to `limit` events with `status` (any status when nil), newest first, starting before
    /// `beforeSeq` (from the newest when nil): the pages an operator reads.
    func recent(status: OutboxStatus?, limit: Int, beforeSeq: Int64?) async throws -> [OutboxEvent]

    /// One event by id, nil when there is none.
    func event(id: UUID) async throws -> OutboxEvent?

    /// Counts, the oldest pending event's age, the last sequence number and the events stored after
    /// `afterSeq` by type (none asked when nil), each count stopping at `countLimit`: a monitor's
    /// once-a-second read, one statement where the store has statements.
    func activity(afterSeq: Int64?, countLimit: Int) async throws -> OutboxActivity

    /// Makes one failed event pending again, due now, with its attempts reset (its last error is kept).
    func retry(id: UUID) async throws -> RetryResult

    /// Makes up to `limit` failed events pending again, oldest first; returns how many.
    func retryFailed(limit: Int) async throws -> Int

    /// Deletes up to `limit` completed events published before `cutoff`; returns how many, or nil
    /// when another relay is purging right now (one purger at a time).
    func purgeCompleted(publishedBefore cutoff: Date, limit: Int) async throws -> Int?
}

extension OutboxStore {
    /// ``complete(_:owner:)``, then ``claim(limit:owner:leaseDuration:)``.
    public func markPublishedAndClaim(_ published: [UUID], owner: String, limit: Int, leaseDuration: Duration) async throws -> ClaimedBatch {
        try await complete(published.map { .published(id: $0) }, owner: owner)
        return try await claim(limit: limit, owner: owner, leaseDuration: leaseDuration)
    }
}
