import Foundation
import Synchronization

/// An in-memory `OutboxStore` with the same claim semantics as the SQL drivers: leases, backoff,
/// and per-aggregate ordering. For unit tests and the embedded demo.
public final class MemoryOutboxStore: OutboxStore {
    private struct Row {
        var event: OutboxEvent
        var leaseOwner: String?
        var leaseUntil: ContinuousClock.Instant?
    }

    private struct State {
        var rows: [Row] = []
        var index: [UUID: Int] = [:]
        var nextSeq: Int64 = 1
    }

    private let state = Mutex(State())
    private let wakeUp: WakeUpSignal?

    /// `wakeUp` is signalled after every enqueue, standing in for NOTIFY.
    public init(wakeUp: WakeUpSignal? = nil) {
        self.wakeUp = wakeUp
    }

    /// Stores events atomically (all or none), in the given order.
    @discardableResult
    public func enqueue(_ events: [NewOutboxEvent]) -> [OutboxEvent] {
        let stored = state.withLock { state -> [OutboxEvent] in
            let now = Date()
            return events.map { new in
                let event = OutboxEvent(
                    id: new.id,
                    seq: state.nextSeq,
                    aggregateType: new.aggregateType,
                    aggregateID: new.aggregateID,
                    eventType: new.eventType,
                    payload: new.payload,
                    headers: new.headers,
                    status: .pending,
                    attempts: 0,
                    lastError: nil,
                    availableAt: now,
                    createdAt: new.occurredAt,
                    publishedAt: nil
                )
                state.nextSeq += 1
                state.index[new.id] = state.rows.count
                state.rows.append(Row(event: event))
                return event
            }
        }
        wakeUp?.signal()
        return stored
    }

    /// Leases up to `limit` due events, oldest first, in order per aggregate.
    public func claim(limit: Int, owner: String, leaseDuration: Duration) async throws -> ClaimedBatch {
        let events = state.withLock { state -> [OutboxEvent] in
            let now = Date()
            let clock = ContinuousClock.now
            // Aggregates with an earlier event that is not completed are blocked.
            var blocked = Set<String>()
            var latest: [String: UUID] = [:]
            var claimed: [OutboxEvent] = []
            for position in state.rows.indices {
                let row = state.rows[position]
                var event = row.event
                event.previousID = latest[event.aggregateID]
                latest[event.aggregateID] = event.id
                guard event.status != .completed else { continue }
                let isBlocked = blocked.contains(event.aggregateID)
                blocked.insert(event.aggregateID)
                guard !isBlocked, claimed.count < limit, event.status == .pending,
                    event.availableAt <= now
                else { continue }
                if let until = row.leaseUntil, until > clock { continue }
                state.rows[position].leaseOwner = owner
                state.rows[position].leaseUntil = clock.advanced(by: leaseDuration)
                claimed.append(event)
            }
            return claimed
        }
        return ClaimedBatch(owner: owner, events: events)
    }

    /// Applies the outcomes of `owner`'s batch to the events it still holds.
    public func complete(_ outcomes: [DeliveryOutcome], owner: String) async throws {
        state.withLock { state in
            let now = Date()
            for outcome in outcomes {
                guard let position = state.index[outcome.id],
                    state.rows[position].leaseOwner == owner,
                    state.rows[position].event.status == .pending
                else { continue }
                state.rows[position].leaseOwner = nil
                state.rows[position].leaseUntil = nil
                switch outcome {
                case .published:
                    state.rows[position].event.status = .completed
                    state.rows[position].event.publishedAt = now
                case .released(_, let error):
                    state.rows[position].event.lastError = error
                case .failed(_, let error, let retryAt):
                    state.rows[position].event.attempts += 1
                    state.rows[position].event.lastError = error
                    if let retryAt {
                        state.rows[position].event.availableAt = retryAt
                    } else {
                        state.rows[position].event.status = .failed
                    }
                }
            }
        }
    }

    /// The aggregate's events in commit order.
    public func events(aggregateID: String) async throws -> [OutboxEvent] {
        state.withLock { state in
            state.rows.lazy.map(\.event).filter { $0.aggregateID == aggregateID }
        }
    }

    /// Counts per status and the oldest pending event's age.
    public func stats() async throws -> OutboxStats {
        state.withLock { state in
            var counts: [OutboxStatus: Int] = [:]
            var oldestPending: Date?
            for row in state.rows {
                counts[row.event.status, default: 0] += 1
                if row.event.status == .pending {
                    oldestPending = min(oldestPending ?? row.event.createdAt, row.event.createdAt)
                }
            }
            return OutboxStats(
                pending: counts[.pending] ?? 0,
                completed: counts[.completed] ?? 0,
                failed: counts[.failed] ?? 0,
                oldestPendingAgeSeconds: oldestPending.map { Date().timeIntervalSince($0) }
            )
        }
    }

    /// A page of events in sequence order, optionally of one status.
    public func list(status: OutboxStatus?, limit: Int, afterSeq: Int64?) async throws -> [OutboxEvent] {
        state.withLock { state in
            Array(
                state.rows.lazy.map(\.event)
                    .filter { ($0.seq > (afterSeq ?? 0)) && (status == nil || $0.status == status) }
                    .prefix(limit)
            )
        }
    }

    /// A page of events, newest first.
    public func recent(status: OutboxStatus?, limit: Int, beforeSeq: Int64?) async throws -> [OutboxEvent] {
        state.withLock { state in
            Array(
                state.rows.reversed().lazy.map(\.event)
                    .filter { $0.seq < (beforeSeq ?? .max) && (status == nil || $0.status == status) }
                    .prefix(limit)
            )
        }
    }

    /// One event by id.
    public func event(id: UUID) async throws -> OutboxEvent? {
        state.withLock { state in state.index[id].map { state.rows[$0].event } }
    }

    /// Counts (exact up to the limit), the oldest pending age, the last seq and new events by type.
    public func activity(afterSeq: Int64?, countLimit: Int) async throws -> OutboxActivity {
        state.withLock { state in
            var pending = 0
            var failed = 0
            var oldestPending: Date?
            var newEvents: [String: Int] = [:]
            var newCount = 0
            for row in state.rows {
                switch row.event.status {
                case .pending:
                    pending += 1
                    oldestPending = min(oldestPending ?? row.event.createdAt, row.event.createdAt)
                case .failed: failed += 1
                case .completed: break
                }
                if let afterSeq, row.event.seq > afterSeq, newCount < countLimit {
                    newEvents[row.event.eventType, default: 0] += 1
                    newCount += 1
                }
            }
            return OutboxActivity(
                pending: min(pending, countLimit),
                failed: min(failed, countLimit),
                total: state.rows.count,
                totalIsEstimate: false,
                countLimit: countLimit,
                oldestPendingAgeSeconds: oldestPending.map { Date().timeIntervalSince($0) },
                lastSeq: state.rows.last?.event.seq ?? 0,
                newEvents: newEvents
            )
        }
    }

    /// Requeues one failed event.
    public func retry(id: UUID) async throws -> RetryResult {
        let result = state.withLock { state -> RetryResult in
            guard let position = state.index[id] else { return .notFound }
            guard state.rows[position].event.status == .failed else { return .notFailed(state.rows[position].event.status) }
            Self.requeue(&state.rows[position])
            return .requeued(state.rows[position].event)
        }
        if case .requeued = result { wakeUp?.signal() }
        return result
    }

    /// Requeues up to `limit` failed events, oldest first.
    public func retryFailed(limit: Int) async throws -> Int {
        let count = state.withLock { state in
            var count = 0
            for position in state.rows.indices where count < limit && state.rows[position].event.status == .failed {
                Self.requeue(&state.rows[position])
                count += 1
            }
            return count
        }
        if count > 0 { wakeUp?.signal() }
        return count
    }

    private static func requeue(_ row: inout Row) {
        row.event.status = .pending
        row.event.attempts = 0
        row.event.availableAt = Date()
        row.leaseOwner = nil
        row.leaseUntil = nil
    }

    /// Deletes up to `limit` events completed before `cutoff`.
    public func purgeCompleted(publishedBefore cutoff: Date, limit: Int) async throws -> Int? {
        state.withLock { state in
            var removed = 0
            state.rows.removeAll { row in
                guard removed < limit, row.event.status == .completed, let published = row.event.publishedAt,
                    published < cutoff
                else { return false }
                removed += 1
                return true
            }
            if removed > 0 {
                state.index = Dictionary(uniqueKeysWithValues: state.rows.enumerated().map { ($1.event.id, $0) })
            }
            return removed
        }
    }

    /// Every stored event, in sequence order.
    public func allEvents() -> [OutboxEvent] {
        state.withLock { $0.rows.map(\.event) }
    }
}
