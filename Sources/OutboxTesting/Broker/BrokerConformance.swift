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
    /// The order the driver keeps: the whole topic's, or only each ordering key's (a partitioned topic).
    var ordering: MessageOrder { get }
    /// The driver's `TopicMonitor`, nil when it has none (the monitoring cases then pass without running).
    func monitor() -> (any TopicMonitor)?
}

/// The order a broker delivers a topic's messages in.
public enum MessageOrder: Sendable {
    /// As published, across all keys.
    case publishOrder
    /// As published among the messages of one ordering key; keys interleave freely.
    case perKey
}

extension BrokerHarness {
    /// Publish order, unless the harness says otherwise.
    public var ordering: MessageOrder { .publishOrder }
    /// No monitor, unless the harness has one.
    public func monitor() -> (any TopicMonitor)? { nil }
}

/// The contract every broker keeps, switched by its declared capabilities (as Watermill's
/// `pubsub/tests` are by features), one function per case in files by area.
public enum BrokerConformance {
    /// Every case, area by area.
    public static var allCases: [BrokerConformanceCase] { delivery + groups + redelivery + monitoring }

    /// Expects `received` (bodies) to be `sent` in the order `harness` promises.
    static func expectOrder(
        _ received: [String],
        _ sent: [OutgoingMessage],
        _ harness: some BrokerHarness,
        sourceLocation: SourceLocation = #_sourceLocation
    ) {
        switch harness.ordering {
        case .publishOrder:
            #expect(received == sent.map(\.body), sourceLocation: sourceLocation)
        case .perKey:
            #expect(received.sorted() == sent.map(\.body).sorted(), sourceLocation: sourceLocation)
            let keyOf = Dictionary(sent.map { ($0.body, $0.key) }, uniquingKeysWith: { first, _ in first })
            for key in Set(sent.map(\.key)).sorted() {
                #expect(
                    received.filter { keyOf[$0] == key } == sent.filter { $0.key == key }.map(\.body),
                    "key \(key)",
                    sourceLocation: sourceLocation
                )
            }
        }
    }

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
