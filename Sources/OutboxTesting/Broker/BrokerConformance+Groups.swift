import Foundation
import Outbox
import Testing

extension BrokerConformance {
    /// Consumer groups: each group gets everything, each message goes to one member, an offline group catches up.
    static let groups: [BrokerConformanceCase] = [
        .init("everyGroupReceivesEverything", area: "groups", requires: []) { try await everyGroupReceivesEverything($0) },
        .init("oneConsumerPerMessageWithinAGroup", area: "groups", requires: .consumerGroups) { try await oneConsumerPerMessageWithinAGroup($0) },
        .init("offlineGroupCatchesUp", area: "groups", requires: [.persistent, .consumerGroups]) { try await offlineGroupCatchesUp($0) },
    ]

    static func everyGroupReceivesEverything(_ harness: some BrokerHarness) async throws {
        let topic = harness.uniqueTopic()
        let publisher = harness.publisher()
        let first = MessageCollector()
        let second = MessageCollector()
        let sent = Self.messages(50)
        try await Self.with(
            harness,
            topic: topic,
            consumers: [
                ("group-a", "c1", { first.add($0) }), ("group-b", "c1", { second.add($0) }),
            ]
        ) {
            try await publisher.publish(sent, topic: topic)
            await first.wait(for: sent.count)
            await second.wait(for: sent.count)
        }
        Self.expectOrder(first.bodies, sent, harness)
        Self.expectOrder(second.bodies, sent, harness)
    }

    static func oneConsumerPerMessageWithinAGroup(_ harness: some BrokerHarness) async throws {
        let topic = harness.uniqueTopic()
        let publisher = harness.publisher()
        let collector = MessageCollector()
        let sent = Self.messages(100)
        try await Self.with(
            harness,
            topic: topic,
            consumers: [
                ("g", "c1", { collector.add($0, consumer: "c1") }), ("g", "c2", { collector.add($0, consumer: "c2") }),
            ]
        ) {
            try await publisher.publish(sent, topic: topic)
            await collector.wait(for: sent.count)
        }
        #expect(collector.messages.count == sent.count)
        #expect(Set(collector.bodies) == Set(sent.map(\.body)))
        #expect(collector.consumers.values.allSatisfy { $0.count == 1 })
    }

    static func offlineGroupCatchesUp(_ harness: some BrokerHarness) async throws {
        let topic = harness.uniqueTopic()
        let publisher = harness.publisher()
        // The group exists, its only consumer stops, messages are published, a consumer comes back.
        let before = MessageCollector()
        let after = MessageCollector()
        let sent = Self.messages(30)
        try await Self.with(harness, topic: topic, consumers: [("g", "c1", { before.add($0) })]) {
            try await publisher.publish(Array(sent[..<10]), topic: topic)
            await before.wait(for: 10)
        }
        try await publisher.publish(Array(sent[10...]), topic: topic)
        try await Self.with(harness, topic: topic, consumers: [("g", "c2", { after.add($0) })]) {
            await after.wait(for: 20)
        }
        Self.expectOrder(before.bodies + after.bodies, sent, harness)
    }
}
