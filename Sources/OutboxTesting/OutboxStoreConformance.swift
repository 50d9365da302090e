import Foundation
import Outbox
import Testing

/// Gives the conformance suite fresh, empty stores of one driver.
public protocol OutboxStoreHarness: Sendable {
    associatedtype Store: OutboxStore
    /// Runs `body` with a new empty store, cleaning up afterwards.
    func withStore(_ body: (Store) async throws -> Void) async throws
    /// Commits events as the application would (one transaction).
    func enqueue(_ events: [NewOutboxEvent], into store: Store) async throws
}

/// The contract every `OutboxStore` keeps. Drivers run each case with `@Test(arguments:)`.
public enum OutboxStoreConformance: String, CaseIterable, Sendable, CustomTestStringConvertible {
    case claimsOldestFirstUpToLimit
    case leasedEventsAreSkipped
    case expiredLeaseIsClaimable
    case publishedEventsComplete
    case failuresBackOffAndCount
    case exhaustedFailuresPark
    case releasedEventsAreFreeAndUncounted
    case foreignLeaseIsIgnored
    case perAggregateOrder
    case parkedEventBlocksOnlyItsAggregate
    case concurrentClaimersNeverShare
    case eventsAndStats
    case listPagesByStatus
    case retryRequeuesOnlyFailedEvents
    case retryFailedUnblocksTheAggregate
    case purgeDeletesOnlyOldCompletedEvents
    case claimsCarryTheAggregatesPreviousEvent

    public var testDescription: String { rawValue }

    /// Runs this case against a fresh store of `harness`.
    public func run<H: OutboxStoreHarness>(_ harness: H) async throws {
        try await harness.withStore { store in
            try await self.check(store, harness)
        }
    }

    /// A test event with a payload that needs escaping.
    public static func event(_ aggregate: String, _ n: Int = 0) -> NewOutboxEvent {
        NewOutboxEvent(
            aggregateType: "Test", aggregateID: aggregate, eventType: "TestHappened",
            payload: #"{"n":\#(n),"text":"quote \" and ünïcode"}"#, headers: ["traceparent": "00-\(n)"]
        )
    }

    private func check<H: OutboxStoreHarness>(_ store: H.Store, _ harness: H) async throws {
        let lease = Duration.seconds(30)
        switch self {
        case .claimsOldestFirstUpToLimit:
            let events = (0..<5).map { Self.event("a\($0)", $0) }
            try await harness.enqueue(events, into: store)
            let first = try await store.claim(limit: 3, owner: "r1", leaseDuration: lease)
            #expect(first.events.map(\.id) == events.prefix(3).map(\.id))
            #expect(first.events.map(\.seq) == first.events.map(\.seq).sorted())
            let stored = try #require(first.events.first)
            #expect(stored.payload.contains("ünïcode"))
            #expect(stored.headers == ["traceparent": "00-0"])
            #expect(stored.status == .pending && stored.attempts == 0)

        case .leasedEventsAreSkipped:
            let events = (0..<4).map { Self.event("a\($0)", $0) }
            try await harness.enqueue(events, into: store)
            let first = try await store.claim(limit: 2, owner: "r1", leaseDuration: lease)
            let second = try await store.claim(limit: 10, owner: "r2", leaseDuration: lease)
            #expect(first.events.map(\.id) == Array(events[0..<2]).map(\.id))
            #expect(second.events.map(\.id) == Array(events[2..<4]).map(\.id))
            #expect(try await store.claim(limit: 10, owner: "r3", leaseDuration: lease).events.isEmpty)

        case .expiredLeaseIsClaimable:
            try await harness.enqueue([Self.event("a")], into: store)
            let first = try await store.claim(limit: 1, owner: "crashed", leaseDuration: .milliseconds(50))
            #expect(first.events.count == 1)
            // The lease is a time limit, so waiting past it is the condition under test.
            try await Task.sleep(for: .milliseconds(200))
            let second = try await store.claim(limit: 1, owner: "r2", leaseDuration: lease)
            #expect(second.events.map(\.id) == first.events.map(\.id))

        case .publishedEventsComplete:
            try await harness.enqueue([Self.event("a")], into: store)
            let batch = try await store.claim(limit: 1, owner: "r1", leaseDuration: lease)
            let id = try #require(batch.events.first?.id)
            try await store.complete([.published(id: id)], owner: "r1")
            let stored = try #require(try await store.events(aggregateID: "a").first)
            #expect(stored.status == .completed)
            #expect(stored.publishedAt != nil)
            #expect(try await store.claim(limit: 1, owner: "r1", leaseDuration: lease).events.isEmpty)

        case .failuresBackOffAndCount:
            try await harness.enqueue([Self.event("a")], into: store)
            var batch = try await store.claim(limit: 1, owner: "r1", leaseDuration: lease)
            let id = try #require(batch.events.first?.id)
            try await store.complete([.failed(id: id, error: "boom", retryAt: Date().addingTimeInterval(3600))], owner: "r1")
            let stored = try #require(try await store.events(aggregateID: "a").first)
            #expect(stored.status == .pending && stored.attempts == 1 && stored.lastError == "boom")
            #expect(stored.availableAt > Date().addingTimeInterval(3000))
            // Backing off: not claimable before its time.
            #expect(try await store.claim(limit: 1, owner: "r1", leaseDuration: lease).events.isEmpty)
            // Simulate "time has come" by a retry time in the past on the next failure path.
            try await harness.enqueue([Self.event("b")], into: store)
            batch = try await store.claim(limit: 1, owner: "r1", leaseDuration: lease)
            let other = try #require(batch.events.first)
            try await store.complete([.failed(id: other.id, error: "again", retryAt: Date().addingTimeInterval(-1))], owner: "r1")
            batch = try await store.claim(limit: 1, owner: "r2", leaseDuration: lease)
            #expect(batch.events.map(\.id) == [other.id])
            #expect(batch.events.first?.attempts == 1)

        case .exhaustedFailuresPark:
            try await harness.enqueue([Self.event("a")], into: store)
            let batch = try await store.claim(limit: 1, owner: "r1", leaseDuration: lease)
            let id = try #require(batch.events.first?.id)
            try await store.complete([.failed(id: id, error: "gave up", retryAt: nil)], owner: "r1")
            let stored = try #require(try await store.events(aggregateID: "a").first)
            #expect(stored.status == .failed && stored.attempts == 1 && stored.lastError == "gave up")
            #expect(try await store.claim(limit: 1, owner: "r1", leaseDuration: lease).events.isEmpty)

        case .releasedEventsAreFreeAndUncounted:
            try await harness.enqueue([Self.event("a")], into: store)
            let batch = try await store.claim(limit: 1, owner: "r1", leaseDuration: lease)
            let id = try #require(batch.events.first?.id)
            try await store.complete([.released(id: id, error: "broker down")], owner: "r1")
            let stored = try #require(try await store.events(aggregateID: "a").first)
            #expect(stored.status == .pending && stored.attempts == 0 && stored.lastError == "broker down")
            // Claimable again at once, by anyone.
            #expect(try await store.claim(limit: 1, owner: "r2", leaseDuration: lease).events.map(\.id) == [id])

        case .foreignLeaseIsIgnored:
            try await harness.enqueue([Self.event("a")], into: store)
            let batch = try await store.claim(limit: 1, owner: "r1", leaseDuration: lease)
            let id = try #require(batch.events.first?.id)
            try await store.complete([.published(id: id)], owner: "someone-else")
            #expect(try await store.events(aggregateID: "a").first?.status == .pending)

        case .perAggregateOrder:
            let a1 = Self.event("a", 1), a2 = Self.event("a", 2), b1 = Self.event("b", 1)
            try await harness.enqueue([a1, a2, b1], into: store)
            let first = try await store.claim(limit: 10, owner: "r1", leaseDuration: lease)
            #expect(first.events.map(\.id) == [a1.id, b1.id])
            // a2 waits while a1 is in flight, even for another relay.
            #expect(try await store.claim(limit: 10, owner: "r2", leaseDuration: lease).events.isEmpty)
            try await store.complete([.published(id: a1.id), .published(id: b1.id)], owner: "r1")
            let second = try await store.claim(limit: 10, owner: "r2", leaseDuration: lease)
            #expect(second.events.map(\.id) == [a2.id])

        case .parkedEventBlocksOnlyItsAggregate:
            let a1 = Self.event("a", 1), a2 = Self.event("a", 2), b1 = Self.event("b", 1)
            try await harness.enqueue([a1, a2, b1], into: store)
            _ = try await store.claim(limit: 10, owner: "r1", leaseDuration: lease)
            try await store.complete([.failed(id: a1.id, error: "poison", retryAt: nil), .published(id: b1.id)], owner: "r1")
            #expect(try await store.claim(limit: 10, owner: "r1", leaseDuration: lease).events.isEmpty)
            try await harness.enqueue([Self.event("b", 2)], into: store)
            let next = try await store.claim(limit: 10, owner: "r1", leaseDuration: lease)
            #expect(next.events.map(\.aggregateID) == ["b"])

        case .concurrentClaimersNeverShare:
            let events = (0..<300).map { Self.event("agg\($0)", $0) }
            try await harness.enqueue(events, into: store)
            let claimed = try await withThrowingTaskGroup(of: [UUID].self) { group in
                for worker in 0..<4 {
                    group.addTask {
                        var mine: [UUID] = []
                        while true {
                            let batch = try await store.claim(limit: 7, owner: "w\(worker)", leaseDuration: lease)
                            if batch.events.isEmpty { return mine }
                            mine += batch.events.map(\.id)
                            try await store.complete(batch.events.map { .published(id: $0.id) }, owner: "w\(worker)")
                        }
                    }
                }
                var all: [UUID] = []
                for try await ids in group { all += ids }
                return all
            }
            #expect(claimed.count == events.count)
            #expect(Set(claimed) == Set(events.map(\.id)))

        case .eventsAndStats:
            let events = [Self.event("a", 1), Self.event("a", 2), Self.event("b", 1)]
            try await harness.enqueue(events, into: store)
            let batch = try await store.claim(limit: 10, owner: "r1", leaseDuration: lease)
            try await store.complete([.published(id: events[0].id), .failed(id: events[2].id, error: "x", retryAt: nil)], owner: batch.owner)
            #expect(try await store.events(aggregateID: "a").map(\.id) == [events[0].id, events[1].id])
            let stats = try await store.stats()
            #expect(stats.pending == 1 && stats.completed == 1 && stats.failed == 1)
            #expect((stats.oldestPendingAgeSeconds ?? -1) >= 0)

        case .listPagesByStatus:
            let events = (0..<5).map { Self.event("a\($0)", $0) }
            try await harness.enqueue(events, into: store)
            _ = try await store.claim(limit: 2, owner: "r1", leaseDuration: lease)
            try await store.complete([.failed(id: events[0].id, error: "x", retryAt: nil), .published(id: events[1].id)], owner: "r1")
            #expect(try await store.list(status: .failed, limit: 10, afterSeq: nil).map(\.id) == [events[0].id])
            #expect(try await store.list(status: .pending, limit: 10, afterSeq: nil).map(\.id) == events[2...].map(\.id))
            let page = try await store.list(status: nil, limit: 2, afterSeq: nil)
            #expect(page.map(\.id) == events[0..<2].map(\.id))
            let next = try await store.list(status: nil, limit: 10, afterSeq: page.last?.seq)
            #expect(next.map(\.id) == events[2...].map(\.id))

        case .retryRequeuesOnlyFailedEvents:
            let failing = Self.event("a", 1), fine = Self.event("b", 1)
            try await harness.enqueue([failing, fine], into: store)
            _ = try await store.claim(limit: 10, owner: "r1", leaseDuration: lease)
            try await store.complete([.failed(id: failing.id, error: "poison", retryAt: nil)], owner: "r1")
            guard case .requeued(let event) = try await store.retry(id: failing.id) else {
                Issue.record("a failed event must be requeued")
                return
            }
            #expect(event.status == .pending && event.attempts == 0 && event.lastError == "poison")
            #expect(try await store.retry(id: failing.id) == .notFailed(.pending))
            #expect(try await store.retry(id: UUID()) == .notFound)
            // Due at once: the next claim takes it (the other event is still leased to r1).
            #expect(try await store.claim(limit: 10, owner: "r2", leaseDuration: lease).events.map(\.id) == [failing.id])

        case .retryFailedUnblocksTheAggregate:
            let a1 = Self.event("a", 1), a2 = Self.event("a", 2), b1 = Self.event("b", 1)
            try await harness.enqueue([a1, a2, b1], into: store)
            _ = try await store.claim(limit: 10, owner: "r1", leaseDuration: lease)
            try await store.complete([.failed(id: a1.id, error: "x", retryAt: nil), .failed(id: b1.id, error: "y", retryAt: nil)], owner: "r1")
            #expect(try await store.retryFailed(limit: 1) == 1)
            #expect(try await store.retryFailed(limit: 10) == 1)
            #expect(try await store.retryFailed(limit: 10) == 0)
            let batch = try await store.claim(limit: 10, owner: "r2", leaseDuration: lease)
            #expect(batch.events.map(\.id) == [a1.id, b1.id])
            try await store.complete([.published(id: a1.id), .published(id: b1.id)], owner: "r2")
            #expect(try await store.claim(limit: 10, owner: "r2", leaseDuration: lease).events.map(\.id) == [a2.id])

        case .purgeDeletesOnlyOldCompletedEvents:
            let events = (0..<5).map { Self.event("a\($0)", $0) }
            try await harness.enqueue(events, into: store)
            _ = try await store.claim(limit: 4, owner: "r1", leaseDuration: lease)
            try await store.complete(events[0..<3].map { .published(id: $0.id) } + [.failed(id: events[3].id, error: "x", retryAt: nil)], owner: "r1")
            // Nothing was published before an hour ago.
            #expect(try await store.purgeCompleted(publishedBefore: Date().addingTimeInterval(-3600), limit: 10) == 0)
            // In batches: two, then the last one, then none.
            let future = Date().addingTimeInterval(3600)
            #expect(try await store.purgeCompleted(publishedBefore: future, limit: 2) == 2)
            #expect(try await store.purgeCompleted(publishedBefore: future, limit: 2) == 1)
            #expect(try await store.purgeCompleted(publishedBefore: future, limit: 2) == 0)
            let left = try await store.list(status: nil, limit: 10, afterSeq: nil)
            #expect(left.map(\.id) == [events[3].id, events[4].id])
            let stats = try await store.stats()
            #expect(stats.pending == 1 && stats.completed == 0 && stats.failed == 1)

        case .claimsCarryTheAggregatesPreviousEvent:
            let a1 = Self.event("a", 1), b1 = Self.event("b", 1), a2 = Self.event("a", 2), a3 = Self.event("a", 3)
            try await harness.enqueue([a1, b1, a2, a3], into: store)
            let first = try await store.claim(limit: 10, owner: "r1", leaseDuration: lease)
            #expect(first.events.map(\.previousID) == [nil, nil])
            try await store.complete(first.events.map { .published(id: $0.id) }, owner: "r1")
            let second = try await store.claim(limit: 10, owner: "r1", leaseDuration: lease)
            #expect(second.events.map(\.id) == [a2.id] && second.events.first?.previousID == a1.id)
            try await store.complete([.published(id: a2.id)], owner: "r1")
            #expect(try await store.claim(limit: 10, owner: "r1", leaseDuration: lease).events.first?.previousID == a2.id)
        }
    }
}
