import Foundation
import Outbox
import Testing

extension OutboxStoreConformance {
    /// Claims: oldest first, up to the limit, never an event under another lease.
    static let claimAndLease: [OutboxStoreConformanceCase] = [
        .init("claimsOldestFirstUpToLimit", area: "claim and lease") { try await claimsOldestFirstUpToLimit($0) },
        .init("leasedEventsAreSkipped", area: "claim and lease") { try await leasedEventsAreSkipped($0) },
        .init("expiredLeaseIsClaimable", area: "claim and lease") { try await expiredLeaseIsClaimable($0) },
        .init("foreignLeaseIsIgnored", area: "claim and lease") { try await foreignLeaseIsIgnored($0) },
        .init("concurrentClaimersNeverShare", area: "claim and lease") { try await concurrentClaimersNeverShare($0) },
        .init("markPublishedAndClaimMarksFirst", area: "claim and lease") { try await markPublishedAndClaimMarksFirst($0) },
    ]

    static func claimsOldestFirstUpToLimit(_ harness: some OutboxStoreHarness) async throws {
        try await harness.withStore { (store) async throws in
            let lease = Duration.seconds(30)
            let events = (0..<5).map { Self.event("a\($0)", $0) }
            try await harness.enqueue(events, into: store)
            let first = try await store.claim(limit: 3, owner: "r1", leaseDuration: lease)
            #expect(first.events.map(\.id) == events.prefix(3).map(\.id))
            #expect(first.events.map(\.seq) == first.events.map(\.seq).sorted())
            let stored = try #require(first.events.first)
            #expect(stored.payload.contains("ünïcode"))
            #expect(stored.headers == ["traceparent": "00-0"])
            #expect(stored.status == .pending && stored.attempts == 0)
        }
    }

    static func leasedEventsAreSkipped(_ harness: some OutboxStoreHarness) async throws {
        try await harness.withStore { (store) async throws in
            let lease = Duration.seconds(30)
            let events = (0..<4).map { Self.event("a\($0)", $0) }
            try await harness.enqueue(events, into: store)
            let first = try await store.claim(limit: 2, owner: "r1", leaseDuration: lease)
            let second = try await store.claim(limit: 10, owner: "r2", leaseDuration: lease)
            #expect(first.events.map(\.id) == Array(events[0..<2]).map(\.id))
            #expect(second.events.map(\.id) == Array(events[2..<4]).map(\.id))
            #expect(try await store.claim(limit: 10, owner: "r3", leaseDuration: lease).events.isEmpty)
        }
    }

    static func expiredLeaseIsClaimable(_ harness: some OutboxStoreHarness) async throws {
        try await harness.withStore { (store) async throws in
            let lease = Duration.seconds(30)
            try await harness.enqueue([Self.event("a")], into: store)
            let first = try await store.claim(limit: 1, owner: "crashed", leaseDuration: .milliseconds(50))
            #expect(first.events.count == 1)
            // The lease is a time limit, so waiting past it is the condition under test.
            try await Task.sleep(for: .milliseconds(200))
            let second = try await store.claim(limit: 1, owner: "r2", leaseDuration: lease)
            #expect(second.events.map(\.id) == first.events.map(\.id))
        }
    }

    static func foreignLeaseIsIgnored(_ harness: some OutboxStoreHarness) async throws {
        try await harness.withStore { (store) async throws in
            let lease = Duration.seconds(30)
            try await harness.enqueue([Self.event("a")], into: store)
            let batch = try await store.claim(limit: 1, owner: "r1", leaseDuration: lease)
            let id = try #require(batch.events.first?.id)
            try await store.complete([.published(id: id)], owner: "someone-else")
            #expect(try await store.events(aggregateID: "a").first?.status == .pending)
        }
    }

    static func markPublishedAndClaimMarksFirst(_ harness: some OutboxStoreHarness) async throws {
        try await harness.withStore { (store) async throws in
            let lease = Duration.seconds(30)
            let (a1, a2, b1) = try await Self.enqueueTwoAggregates(harness, into: store)
            #expect(try await store.claim(limit: 10, owner: "r1", leaseDuration: lease).events.map(\.id) == [a1.id, b1.id])
            // a2 waits for a1; marking a1 in the same call makes it claimable at once.
            let next = try await store.markPublishedAndClaim([a1.id, b1.id], owner: "r1", limit: 10, leaseDuration: lease)
            #expect(next.events.map(\.id) == [a2.id])
            #expect(next.events.first?.previousID == a1.id)
            #expect(try await store.events(aggregateID: "a").map(\.status) == [.completed, .pending])
            #expect(try await store.events(aggregateID: "b").map(\.status) == [.completed])
            // Another owner's marks change nothing, and find nothing more to claim.
            #expect(try await store.markPublishedAndClaim([a2.id], owner: "r2", limit: 10, leaseDuration: lease).events.isEmpty)
            #expect(try await store.events(aggregateID: "a").map(\.status) == [.completed, .pending])
            #expect(try await store.markPublishedAndClaim([a2.id], owner: "r1", limit: 10, leaseDuration: lease).events.isEmpty)
            #expect(try await store.events(aggregateID: "a").map(\.status) == [.completed, .completed])
        }
    }

    static func concurrentClaimersNeverShare(_ harness: some OutboxStoreHarness) async throws {
        try await harness.withStore { (store) async throws in
            let lease = Duration.seconds(30)
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
        }
    }
}
