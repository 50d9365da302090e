import Foundation
import Outbox
import Testing

extension OutboxStoreConformance {
    /// Deleting old completed events, and nothing else.
    static let retention: [OutboxStoreConformanceCase] = [
        .init("purgeDeletesOnlyOldCompletedEvents", area: "retention") { try await purgeDeletesOnlyOldCompletedEvents($0) }
    ]

    static func purgeDeletesOnlyOldCompletedEvents(_ harness: some OutboxStoreHarness) async throws {
        try await harness.withStore { (store) async throws in
            let lease = Duration.seconds(30)
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
        }
    }
}
