import Outbox
import Testing

/// One case of a conformance suite: its name, its area (the file it lives in), and the check, which
/// runs against a harness of one driver. Drivers run every case of a suite with
/// `@Test(arguments: Suite.allCases)`, one test case each, as riverdrivertest runs one `t.Run` each.
public struct ConformanceCase<Harness: Sendable>: Sendable, CustomTestStringConvertible {
    /// The case's function name.
    public let name: String
    /// The area of the contract it checks.
    public let area: String
    let check: @Sendable (Harness) async throws -> Void

    init(_ name: String, area: String, check: @escaping @Sendable (Harness) async throws -> Void) {
        self.name = name
        self.area = area
        self.check = check
    }

    /// `area: name`, as test reports show it.
    public var testDescription: String { "\(area): \(name)" }
}

/// A case of the store suite.
public typealias OutboxStoreConformanceCase = ConformanceCase<any OutboxStoreHarness>
/// A case of the inbox suite.
public typealias InboxConformanceCase = ConformanceCase<any InboxHarness>
/// A case of the broker suite.
public typealias BrokerConformanceCase = ConformanceCase<any BrokerHarness>

extension ConformanceCase where Harness == any OutboxStoreHarness {
    /// Runs this case against fresh stores of `harness`.
    public func run(_ harness: some OutboxStoreHarness) async throws { try await check(harness) }
}

extension ConformanceCase where Harness == any InboxHarness {
    /// Runs this case against fresh inboxes of `harness`.
    public func run(_ harness: some InboxHarness) async throws { try await check(harness) }
}

extension ConformanceCase where Harness == any BrokerHarness {
    /// A broker case that applies only to brokers declaring `requires`: on others it passes without
    /// running, since the broker does not promise what it checks.
    init(_ name: String, area: String, requires: BrokerCapabilities, check: @escaping @Sendable (any BrokerHarness) async throws -> Void) {
        self.init(name, area: area) { harness in
            guard harness.capabilities.isSuperset(of: requires) else { return }
            try await check(harness)
        }
    }

    /// Runs this case against `harness`, or does nothing when the broker does not promise it.
    public func run(_ harness: some BrokerHarness) async throws { try await check(harness) }
}
