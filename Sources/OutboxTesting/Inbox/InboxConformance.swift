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
