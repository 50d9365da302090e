import Foundation
import Outbox
import Testing

/// Gives the broker conformance suite publishers and subscribers of one driver.
public protocol BrokerHarness: Sendable {
    /// What the driver promises; cases that need more are skipped.
    var capabilities: BrokerCapabilities { get }
    func publisher() -> any MessagePublisher
    /// A subscriber in `group` (brokers without groups ignore it); `ready` runs once it receives.
    /// `fastRedelivery` asks for short redelivery timers (the redelivery cases); otherwise timers
    /// are long enough that normal processing never looks abandoned.
    func subscriber(group: String, consumer: String, fastRedelivery: Bool, ready: @escaping @Sendable () -> Void) -> any MessageSubscriber
    /// A topic name no other test uses.
    func uniqueTopic() -> String
}

/// The contract every broker keeps, switched by its declared capabilities (as Watermill's
/// `pubsub/tests` are by features), one function per case in files by area.
public enum BrokerConformance {
    /// Every case, area by area.
    public static var allCases: [BrokerConformanceCase] { delivery + groups + redelivery }

    static func messages(_ count: Int) -> [OutgoingMessage] {
        (0..<count).map { OutgoingMessage(id: "m\($0)", key: "k\($0 % 3)", body: #"{"n":\#($0)}"#) }
    }

    /// Runs one batch consumer (group "g") until `body` returns, starting `body` once it is ready.
    static func withBatches<H: BrokerHarness>(
        _ harness: H,
        topic: String,
        fastRedelivery: Bool = false,
        handler: @escaping @Sendable ([IncomingMessage]) async throws -> Set<String>,
        during body: () async throws -> Void
    ) async throws {
        let ready = MessageCollector()
        try await withThrowingTaskGroup(of: Void.self) { group in
            let subscriber = harness.subscriber(group: "g", consumer: "c1", fastRedelivery: fastRedelivery) {
                ready.add(IncomingMessage(brokerID: "", body: ""))
            }
            group.addTask { try await subscriber.subscribe(topic: topic, batchHandler: handler) }
            await ready.wait(for: 1)
            try await body()
            group.cancelAll()
            try? await group.waitForAll()
        }
    }

    struct RefusedOnce: Error {}

    /// Runs the consumers until `body` returns, starting `body` once all are ready.
    static func with<H: BrokerHarness>(
        _ harness: H,
        topic: String,
        fastRedelivery: Bool = false,
        consumers: [(group: String, consumer: String, handler: @Sendable (IncomingMessage) async throws -> Void)],
        _ body: () async throws -> Void
    ) async throws {
        let ready = MessageCollector()
        try await withThrowingTaskGroup(of: Void.self) { group in
            for consumer in consumers {
                let subscriber = harness.subscriber(group: consumer.group, consumer: consumer.consumer, fastRedelivery: fastRedelivery) {
                    ready.add(IncomingMessage(brokerID: "", body: ""))
                }
                group.addTask { try await subscriber.subscribe(topic: topic, handler: consumer.handler) }
            }
            await ready.wait(for: consumers.count)
            try await body()
            group.cancelAll()
            try? await group.waitForAll()
        }
    }
}
