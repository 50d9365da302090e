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

/// One case of the store conformance suite: its name, its area, and the check, which runs against a
/// fresh store of the harness it is given.
public struct OutboxStoreConformanceCase: Sendable, CustomTestStringConvertible {
    public let name: String
    public let area: String
    let check: @Sendable (any OutboxStoreHarness) async throws -> Void

    init(_ name: String, area: String, check: @escaping @Sendable (any OutboxStoreHarness) async throws -> Void) {
        self.name = name
        self.area = area
        self.check = check
    }

    public var testDescription: String { "\(area): \(name)" }

    /// Runs this case against `harness`.
    public func run(_ harness: some OutboxStoreHarness) async throws { try await check(harness) }
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
}
