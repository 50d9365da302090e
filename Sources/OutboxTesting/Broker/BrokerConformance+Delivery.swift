import Foundation
import Outbox
import Testing

extension BrokerConformance {
    /// Delivery: every message, in publish order, one at a time or in batches.
    static let delivery: [BrokerConformanceCase] = [
        .init("deliversInPublishOrder", area: "delivery", requires: []) { try await deliversInPublishOrder($0) },
        .init("batchesArriveInPublishOrder", area: "delivery", requires: []) { try await batchesArriveInPublishOrder($0) },
    ]

    static func deliversInPublishOrder(_ harness: some BrokerHarness) async throws {
        let topic = harness.uniqueTopic()
        let publisher = harness.publisher()
        let collector = MessageCollector()
        let sent = Self.messages(200)
        try await Self.with(harness, topic: topic, consumers: [("g", "c1", { message in collector.add(message) })]) {
            try await publisher.publish(Array(sent[..<100]), topic: topic)
            try await publisher.publish(Array(sent[100...]), topic: topic)
            await collector.wait(for: sent.count)
        }
        Self.expectOrder(collector.bodies, sent, harness)
    }

    static func batchesArriveInPublishOrder(_ harness: some BrokerHarness) async throws {
        let topic = harness.uniqueTopic()
        let publisher = harness.publisher()
        let collector = MessageCollector()
        let sent = Self.messages(200)
        try await Self.withBatches(
            harness,
            topic: topic,
            handler: { batch in
                for message in batch { collector.add(message) }
                return Set(batch.map(\.brokerID))
            },
            during: {
                try await publisher.publish(sent, topic: topic)
                await collector.wait(for: sent.count)
            }
        )
        Self.expectOrder(collector.bodies, sent, harness)
    }
}
