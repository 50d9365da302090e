import Foundation
import Outbox
import Testing

extension OutboxStoreConformance {
    /// What operators use: lists, stats, retrying failed events.
    static let administration: [OutboxStoreConformanceCase] = [
        .init("eventsAndStats", area: "administration") { try await eventsAndStats($0) },
        .init("listPagesByStatus", area: "administration") { try await listPagesByStatus($0) },
        .init("retryRequeuesOnlyFailedEvents", area: "administration") { try await retryRequeuesOnlyFailedEvents($0) },
        .init("retryFailedUnblocksTheAggregate", area: "administration") { try await retryFailedUnblocksTheAggregate($0) },
        .init("recentPagesNewestFirst", area: "administration") { try await recentPagesNewestFirst($0) },
        .init("eventByID", area: "administration") { try await eventByID($0) },
        .init("activityCountsAndNewEvents", area: "administration") { try await activityCountsAndNewEvents($0) },
    ]

    static func recentPagesNewestFirst(_ harness: some OutboxStoreHarness) async throws {
        try await harness.withStore { (store) async throws in
            let events = (0..<5).map { Self.event("a\($0)", $0) }
            try await harness.enqueue(events, into: store)
            _ = try await store.claim(limit: 2, owner: "r1", leaseDuration: .seconds(30))
            try await store.complete([.failed(id: events[0].id, error: "x", retryAt: nil), .published(id: events[1].id)], owner: "r1")
            let newest = try await store.recent(status: nil, limit: 2, beforeSeq: nil)
            #expect(newest.map(\.id) == [events[4].id, events[3].id])
            let older = try await store.recent(status: nil, limit: 10, beforeSeq: newest.last?.seq)
            #expect(older.map(\.id) == [events[2].id, events[1].id, events[0].id])
            #expect(try await store.recent(status: .failed, limit: 10, beforeSeq: nil).map(\.id) == [events[0].id])
            #expect(try await store.recent(status: .pending, limit: 2, beforeSeq: newest[0].seq).map(\.id) == [events[3].id, events[2].id])
        }
    }

    static func eventByID(_ harness: some OutboxStoreHarness) async throws {
        try await harness.withStore { (store) async throws in
            let events = [Self.event("a", 1), Self.event("b", 1)]
            try await harness.enqueue(events, into: store)
            _ = try await store.claim(limit: 1, owner: "r1", leaseDuration: .seconds(30))
            try await store.complete([.failed(id: events[0].id, error: "declined", retryAt: nil)], owner: "r1")
            let found = try #require(try await store.event(id: events[0].id))
            #expect(found.id == events[0].id && found.aggregateID == "a" && found.eventType == events[0].eventType)
            #expect(found.status == .failed && found.attempts == 1 && found.lastError == "declined")
            #expect(found.payload.contains("ünïcode") && found.headers == ["traceparent": "00-1"])
            #expect(try await store.event(id: events[1].id)?.status == .pending)
            #expect(try await store.event(id: UUID()) == nil)
        }
    }

    static func activityCountsAndNewEvents(_ harness: some OutboxStoreHarness) async throws {
        try await harness.withStore { (store) async throws in
            let empty = try await store.activity(afterSeq: nil, countLimit: 100)
            #expect(empty.pending == 0 && empty.failed == 0 && empty.total == 0 && empty.lastSeq == 0)
            #expect(empty.oldestPendingAgeSeconds == nil && empty.newEvents.isEmpty)
            var events = (0..<4).map { Self.event("a\($0)", $0) }
            events[3].eventType = "OtherEvent"
            try await harness.enqueue(Array(events[0..<2]), into: store)
            _ = try await store.claim(limit: 2, owner: "r1", leaseDuration: .seconds(30))
            try await store.complete([.failed(id: events[0].id, error: "x", retryAt: nil), .published(id: events[1].id)], owner: "r1")
            let first = try await store.activity(afterSeq: nil, countLimit: 100)
            #expect(first.pending == 0 && first.failed == 1 && first.total == 2 && first.completed == 1 && !first.totalIsEstimate)
            #expect(first.newEvents.isEmpty, "no afterSeq: nothing counted as new")
            try await harness.enqueue(Array(events[2...]), into: store)
            let second = try await store.activity(afterSeq: first.lastSeq, countLimit: 100)
            #expect(second.pending == 2 && second.failed == 1 && second.total == 4 && second.lastSeq > first.lastSeq)
            #expect(second.newEvents == [events[2].eventType: 1, "OtherEvent": 1])
            #expect((second.oldestPendingAgeSeconds ?? -1) >= 0)
            // Counts stop at the limit.
            let capped = try await store.activity(afterSeq: 0, countLimit: 1)
            #expect(capped.pending == 1 && capped.failed == 1 && capped.newEvents.values.reduce(0, +) == 1)
        }
    }

    static func eventsAndStats(_ harness: some OutboxStoreHarness) async throws {
        try await harness.withStore { (store) async throws in
            let lease = Duration.seconds(30)
            let events = [Self.event("a", 1), Self.event("a", 2), Self.event("b", 1)]
            try await harness.enqueue(events, into: store)
            let batch = try await store.claim(limit: 10, owner: "r1", leaseDuration: lease)
            try await store.complete([.published(id: events[0].id), .failed(id: events[2].id, error: "x", retryAt: nil)], owner: batch.owner)
            #expect(try await store.events(aggregateID: "a").map(\.id) == [events[0].id, events[1].id])
            let stats = try await store.stats()
            #expect(stats.pending == 1 && stats.completed == 1 && stats.failed == 1)
            #expect((stats.oldestPendingAgeSeconds ?? -1) >= 0)
        }
    }

    static func listPagesByStatus(_ harness: some OutboxStoreHarness) async throws {
        try await harness.withStore { (store) async throws in
            let lease = Duration.seconds(30)
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
        }
    }

    static func retryRequeuesOnlyFailedEvents(_ harness: some OutboxStoreHarness) async throws {
        try await harness.withStore { (store) async throws in
            let lease = Duration.seconds(30)
            let failing = Self.event("a", 1)
            let fine = Self.event("b", 1)
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
        }
    }

    static func retryFailedUnblocksTheAggregate(_ harness: some OutboxStoreHarness) async throws {
        try await harness.withStore { (store) async throws in
            let lease = Duration.seconds(30)
            let (a1, a2, b1) = try await Self.enqueueTwoAggregates(harness, into: store)
            _ = try await store.claim(limit: 10, owner: "r1", leaseDuration: lease)
            try await store.complete([.failed(id: a1.id, error: "x", retryAt: nil), .failed(id: b1.id, error: "y", retryAt: nil)], owner: "r1")
            #expect(try await store.retryFailed(limit: 1) == 1)
            #expect(try await store.retryFailed(limit: 10) == 1)
            #expect(try await store.retryFailed(limit: 10) == 0)
            let batch = try await store.claim(limit: 10, owner: "r2", leaseDuration: lease)
            #expect(batch.events.map(\.id) == [a1.id, b1.id])
            try await store.complete([.published(id: a1.id), .published(id: b1.id)], owner: "r2")
            #expect(try await store.claim(limit: 10, owner: "r2", leaseDuration: lease).events.map(\.id) == [a2.id])
        }
    }
}
