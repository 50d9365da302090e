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

/// The contract every `OutboxStore` keeps, one function per case in files by area. Drivers run
/// every case with `@Test(arguments: OutboxStoreConformance.allCases)`.
public enum OutboxStoreConformance {
    /// Every case, area by area.
    public static var allCases: [OutboxStoreConformanceCase] { claimAndLease + outcomes + ordering + administration + retention }

    /// A test event with a payload that needs escaping.
    public static func event(_ aggregate: String, _ n: Int = 0) -> NewOutboxEvent {
        NewOutboxEvent(
            aggregateType: "Test",
            aggregateID: aggregate,
            eventType: "TestHappened",
            payload: #"{"n":\#(n),"text":"quote \" and ünïcode"}"#,
            headers: ["traceparent": "00-\(n)"]
        )
    }

    /// Commits a1, a2 (aggregate "a") and b1 (aggregate "b") in one transaction, in that order: the
    /// fixture of the cases where a2 must wait for a1 while b1 is free.
    static func enqueueTwoAggregates<Harness: OutboxStoreHarness>(
        _ harness: Harness,
        into store: Harness.Store
    ) async throws -> (a1: NewOutboxEvent, a2: NewOutboxEvent, b1: NewOutboxEvent) {
        let events = (a1: event("a", 1), a2: event("a", 2), b1: event("b", 1))
        try await harness.enqueue([events.a1, events.a2, events.b1], into: store)
        return events
    }
}
