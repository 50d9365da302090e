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

/// The contract every broker keeps, switched by its declared capabilities.
public enum BrokerConformance: String, CaseIterable, Sendable, CustomTestStringConvertible {
    case deliversInPublishOrder
    case everyGroupReceivesEverything
    case oneConsumerPerMessageWithinAGroup
    case failedHandlerIsRedelivered
    case departedConsumersMessagesGoToAnother
    case offlineGroupCatchesUp
    case batchesArriveInPublishOrder
    case batchesAcknowledgeOnlyWhatWasAccepted

    public var testDescription: String { rawValue }

    /// What a broker must declare for this case to apply.
    public var requires: BrokerCapabilities {
        switch self {
        case .deliversInPublishOrder, .everyGroupReceivesEverything, .batchesArriveInPublishOrder: []
        case .batchesAcknowledgeOnlyWhatWasAccepted: .acknowledgements
        case .oneConsumerPerMessageWithinAGroup: .consumerGroups
        case .failedHandlerIsRedelivered: .acknowledgements
        case .departedConsumersMessagesGoToAnother: [.consumerGroups, .acknowledgements]
        case .offlineGroupCatchesUp: [.persistent, .consumerGroups]
        }
    }

    static func messages(_ count: Int) -> [OutgoingMessage] {
        (0..<count).map { OutgoingMessage(id: "m\($0)", key: "k\($0 % 3)", body: #"{"n":\#($0)}"#) }
    }

    /// Runs this case against `harness`, or does nothing when the broker does not promise it.
    public func run<H: BrokerHarness>(_ harness: H) async throws {
        guard harness.capabilities.isSuperset(of: requires) else { return }
        let topic = harness.uniqueTopic()
        let publisher = harness.publisher()
        switch self {
        case .deliversInPublishOrder:
            let collector = MessageCollector()
            let sent = Self.messages(200)
            try await Self.with(harness, topic: topic, consumers: [("g", "c1", { message in collector.add(message) })]) {
                try await publisher.publish(Array(sent[..<100]), topic: topic)
                try await publisher.publish(Array(sent[100...]), topic: topic)
                await collector.wait(for: sent.count)
            }
            #expect(collector.bodies == sent.map(\.body))

        case .everyGroupReceivesEverything:
            let first = MessageCollector(), second = MessageCollector()
            let sent = Self.messages(50)
            try await Self.with(harness, topic: topic, consumers: [
                ("group-a", "c1", { first.add($0) }), ("group-b", "c1", { second.add($0) }),
            ]) {
                try await publisher.publish(sent, topic: topic)
                await first.wait(for: sent.count)
                await second.wait(for: sent.count)
            }
            #expect(first.bodies == sent.map(\.body))
            #expect(second.bodies == sent.map(\.body))

        case .oneConsumerPerMessageWithinAGroup:
            let collector = MessageCollector()
            let sent = Self.messages(100)
            try await Self.with(harness, topic: topic, consumers: [
                ("g", "c1", { collector.add($0, consumer: "c1") }), ("g", "c2", { collector.add($0, consumer: "c2") }),
            ]) {
                try await publisher.publish(sent, topic: topic)
                await collector.wait(for: sent.count)
            }
            #expect(collector.messages.count == sent.count)
            #expect(Set(collector.bodies) == Set(sent.map(\.body)))
            #expect(collector.consumers.values.allSatisfy { $0.count == 1 })

        case .failedHandlerIsRedelivered:
            let collector = MessageCollector()
            try await Self.with(harness, topic: topic, fastRedelivery: true, consumers: [("g", "c1", { message in
                collector.add(message)
                if message.deliveryCount == 1 { throw RefusedOnce() }
            })]) {
                try await publisher.publish(Self.messages(1), topic: topic)
                await collector.wait(for: 2)
            }
            #expect(collector.messages.map(\.deliveryCount) == [1, 2])
            #expect(Set(collector.bodies).count == 1)

        case .departedConsumersMessagesGoToAnother:
            // c1 takes the message and never finishes; when c1 goes away, c2 must get it.
            let taken = MessageCollector(), rescued = MessageCollector()
            let readyFirst = MessageCollector()
            try await withThrowingTaskGroup(of: Void.self) { group in
                let stuck = harness.subscriber(group: "g", consumer: "c1", fastRedelivery: true) {
                    readyFirst.add(IncomingMessage(brokerID: "", body: ""))
                }
                group.addTask {
                    try await stuck.subscribe(topic: topic) { message in
                        taken.add(message)
                        try await Task.sleep(for: .seconds(3600))
                    }
                }
                await readyFirst.wait(for: 1)
                try await publisher.publish(Self.messages(1), topic: topic)
                await taken.wait(for: 1)
                group.cancelAll()
                try? await group.waitForAll()
            }
            try await Self.with(harness, topic: topic, fastRedelivery: true, consumers: [("g", "c2", { rescued.add($0) })]) {
                await rescued.wait(for: 1)
            }
            #expect(rescued.bodies == taken.bodies)
            #expect((rescued.messages.first?.deliveryCount ?? 0) >= 2)

        case .offlineGroupCatchesUp:
            // The group exists, its only consumer stops, messages are published, a consumer comes back.
            let before = MessageCollector(), after = MessageCollector()
            let sent = Self.messages(30)
            try await Self.with(harness, topic: topic, consumers: [("g", "c1", { before.add($0) })]) {
                try await publisher.publish(Array(sent[..<10]), topic: topic)
                await before.wait(for: 10)
            }
            try await publisher.publish(Array(sent[10...]), topic: topic)
            try await Self.with(harness, topic: topic, consumers: [("g", "c2", { after.add($0) })]) {
                await after.wait(for: 20)
            }
            #expect(before.bodies + after.bodies == sent.map(\.body))

        case .batchesArriveInPublishOrder:
            let collector = MessageCollector()
            let sent = Self.messages(200)
            try await Self.withBatches(harness, topic: topic, handler: { batch in
                for message in batch { collector.add(message) }
                return Set(batch.map(\.brokerID))
            }) {
                try await publisher.publish(sent, topic: topic)
                await collector.wait(for: sent.count)
            }
            #expect(collector.bodies == sent.map(\.body))

        case .batchesAcknowledgeOnlyWhatWasAccepted:
            // Every third message is left out of the accepted set on its first delivery.
            let collector = MessageCollector()
            let sent = Self.messages(12)
            let refused = Set(sent.enumerated().filter { $0.offset % 3 == 0 }.map(\.element.body))
            try await Self.withBatches(harness, topic: topic, fastRedelivery: true, handler: { batch in
                for message in batch { collector.add(message) }
                return Set(batch.filter { $0.deliveryCount > 1 || !refused.contains($0.body) }.map(\.brokerID))
            }) {
                try await publisher.publish(sent, topic: topic)
                await collector.wait(for: sent.count + refused.count)
            }
            let redelivered = collector.messages.filter { $0.deliveryCount > 1 }
            #expect(Set(redelivered.map(\.body)) == refused)
            #expect(redelivered.count == refused.count)
        }
    }

    /// Runs one batch consumer (group "g") until `body` returns, starting `body` once it is ready.
    static func withBatches<H: BrokerHarness>(
        _ harness: H, topic: String, fastRedelivery: Bool = false,
        handler: @escaping @Sendable ([IncomingMessage]) async throws -> Set<String>, _ body: () async throws -> Void
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
        _ harness: H, topic: String, fastRedelivery: Bool = false,
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
