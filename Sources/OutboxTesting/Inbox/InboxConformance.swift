import Foundation
import Outbox
import Synchronization
import Testing

/// Gives the inbox conformance suite fresh, empty inboxes of one driver.
public protocol InboxHarness: Sendable {
    associatedtype Subject: Inbox
    /// Runs `body` with a new empty inbox, cleaning up afterwards.
    func withInbox(_ body: (Subject) async throws -> Void) async throws
}

/// One case of the inbox conformance suite: its name, its area, and the check, which runs against a
/// fresh inbox of the harness it is given.
public struct InboxConformanceCase: Sendable, CustomTestStringConvertible {
    public let name: String
    public let area: String
    let check: @Sendable (any InboxHarness) async throws -> Void

    init(_ name: String, area: String, check: @escaping @Sendable (any InboxHarness) async throws -> Void) {
        self.name = name
        self.area = area
        self.check = check
    }

    public var testDescription: String { "\(area): \(name)" }

    /// Runs this case against `harness`.
    public func run(_ harness: some InboxHarness) async throws { try await check(harness) }
}

/// The contract every `Inbox` keeps — once per group, in order per aggregate, nothing recorded when
/// the effect fails — one function per case in files by area.
public enum InboxConformance {
    /// Every case, area by area.
    public static var allCases: [InboxConformanceCase] { delivery + ordering + batches }

    struct EffectFailed: Error {}
}

/// Effects run by the suite, in order.
final class Effects: Sendable {
    private let list = Mutex<[String]>([])
    func add(_ name: String) { list.withLock { $0.append(name) } }
    var all: [String] { list.withLock { $0 } }
}
