import Foundation
import Outbox
import Testing

extension OutboxStoreConformance {
    /// Marking a claimed batch: completed, retried with backoff, parked, released.
    static let outcomes: [OutboxStoreConformanceCase] = [
        .init("publishedEventsComplete", area: "outcomes") { try await publishedEventsComplete($0) },
        .init("failuresBackOffAndCount", area: "outcomes") { try await failuresBackOffAndCount($0) },
        .init("exhaustedFailuresPark", area: "outcomes") { try await exhaustedFailuresPark($0) },
        .init("releasedEventsAreFreeAndUncounted", area: "outcomes") { try await releasedEventsAreFreeAndUncounted($0) },
    ]

    static func publishedEventsComplete(_ harness: some OutboxStoreHarness) async throws {
        try await harness.withStore { (store) async throws in
            let lease = Duration.seconds(30)
            try await harness.enqueue([Self.event("a")], into: store)
            let batch = try await store.claim(limit: 1, owner: "r1", leaseDuration: lease)
            let id = try #require(batch.events.first?.id)
            try await store.complete([.published(id: id)], owner: "r1")
            let stored = try #require(try await store.events(aggregateID: "a").first)
            #expect(stored.status == .completed)
            #expect(stored.publishedAt != nil)
            #expect(try await store.claim(limit: 1, owner: "r1", leaseDuration: lease).events.isEmpty)
        }
    }

    static func failuresBackOffAndCount(_ harness: some OutboxStoreHarness) async throws {
        try await harness.withStore { (store) async throws in
            let lease = Duration.seconds(30)
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
        }
    }

    static func exhaustedFailuresPark(_ harness: some OutboxStoreHarness) async throws {
        try await harness.withStore { (store) async throws in
            let lease = Duration.seconds(30)
            try await harness.enqueue([Self.event("a")], into: store)
            let batch = try await store.claim(limit: 1, owner: "r1", leaseDuration: lease)
            let id = try #require(batch.events.first?.id)
            try await store.complete([.failed(id: id, error: "gave up", retryAt: nil)], owner: "r1")
            let stored = try #require(try await store.events(aggregateID: "a").first)
            #expect(stored.status == .failed && stored.attempts == 1 && stored.lastError == "gave up")
            #expect(try await store.claim(limit: 1, owner: "r1", leaseDuration: lease).events.isEmpty)
        }
    }

    static func releasedEventsAreFreeAndUncounted(_ harness: some OutboxStoreHarness) async throws {
        try await harness.withStore { (store) async throws in
            let lease = Duration.seconds(30)
            try await harness.enqueue([Self.event("a")], into: store)
            let batch = try await store.claim(limit: 1, owner: "r1", leaseDuration: lease)
            let id = try #require(batch.events.first?.id)
            try await store.complete([.released(id: id, error: "broker down")], owner: "r1")
            let stored = try #require(try await store.events(aggregateID: "a").first)
            #expect(stored.status == .pending && stored.attempts == 0 && stored.lastError == "broker down")
            // Claimable again at once, by anyone.
            #expect(try await store.claim(limit: 1, owner: "r2", leaseDuration: lease).events.map(\.id) == [id])
        }
    }
}
