import Foundation
import Outbox
import Testing

extension OutboxStoreConformance {
    /// Per-aggregate order: an event is claimed only after its aggregate's previous event completed.
    static let ordering: [OutboxStoreConformanceCase] = [
        .init("perAggregateOrder", area: "ordering") { try await perAggregateOrder($0) },
        .init("parkedEventBlocksOnlyItsAggregate", area: "ordering") { try await parkedEventBlocksOnlyItsAggregate($0) },
        .init("claimsCarryTheAggregatesPreviousEvent", area: "ordering") { try await claimsCarryTheAggregatesPreviousEvent($0) },
    ]

    static func perAggregateOrder(_ harness: some OutboxStoreHarness) async throws {
        try await harness.withStore { (store) async throws in
            let lease = Duration.seconds(30)
            let (a1, a2, b1) = try await Self.enqueueTwoAggregates(harness, into: store)
            let first = try await store.claim(limit: 10, owner: "r1", leaseDuration: lease)
            #expect(first.events.map(\.id) == [a1.id, b1.id])
            // a2 waits while a1 is in flight, even for another relay.
            #expect(try await store.claim(limit: 10, owner: "r2", leaseDuration: lease).events.isEmpty)
            try await store.complete([.published(id: a1.id), .published(id: b1.id)], owner: "r1")
            let second = try await store.claim(limit: 10, owner: "r2", leaseDuration: lease)
            #expect(second.events.map(\.id) == [a2.id])
        }
    }

    static func parkedEventBlocksOnlyItsAggregate(_ harness: some OutboxStoreHarness) async throws {
        try await harness.withStore { (store) async throws in
            let lease = Duration.seconds(30)
            let (a1, _, b1) = try await Self.enqueueTwoAggregates(harness, into: store)
            _ = try await store.claim(limit: 10, owner: "r1", leaseDuration: lease)
            try await store.complete([.failed(id: a1.id, error: "poison", retryAt: nil), .published(id: b1.id)], owner: "r1")
            #expect(try await store.claim(limit: 10, owner: "r1", leaseDuration: lease).events.isEmpty)
            try await harness.enqueue([Self.event("b", 2)], into: store)
            let next = try await store.claim(limit: 10, owner: "r1", leaseDuration: lease)
            #expect(next.events.map(\.aggregateID) == ["b"])
        }
    }

    static func claimsCarryTheAggregatesPreviousEvent(_ harness: some OutboxStoreHarness) async throws {
        try await harness.withStore { (store) async throws in
            let lease = Duration.seconds(30)
            let a1 = Self.event("a", 1)
            let b1 = Self.event("b", 1)
            let a2 = Self.event("a", 2)
            let a3 = Self.event("a", 3)
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
