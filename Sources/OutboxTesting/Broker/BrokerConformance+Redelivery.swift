import Foundation
import Outbox
import Testing

extension BrokerConformance {
    /// Redelivery: what was not acknowledged comes again, to the same member or another.
    static let redelivery: [BrokerConformanceCase] = [
        .init("failedHandlerIsRedelivered", area: "redelivery", requires: .acknowledgements) { try await failedHandlerIsRedelivered($0) },
        .init("departedConsumersMessagesGoToAnother", area: "redelivery", requires: [.consumerGroups, .acknowledgements]) {
            try await departedConsumersMessagesGoToAnother($0)
        },
        .init("batchesAcknowledgeOnlyWhatWasAccepted", area: "redelivery", requires: .acknowledgements) {
            try await batchesAcknowledgeOnlyWhatWasAccepted($0)
        },
    ]

    static func failedHandlerIsRedelivered(_ harness: some BrokerHarness) async throws {
        let topic = harness.uniqueTopic()
        let publisher = harness.publisher()
        let collector = MessageCollector()
        try await Self.with(
            harness,
            topic: topic,
            fastRedelivery: true,
            consumers: [
                (
                    "g", "c1",
                    { message in
                        collector.add(message)
                        if message.deliveryCount == 1 { throw RefusedOnce() }
                    }
                )
            ]
        ) {
            try await publisher.publish(Self.messages(1), topic: topic)
            await collector.wait(for: 2)
        }
        #expect(collector.messages.map(\.deliveryCount) == [1, 2])
        #expect(Set(collector.bodies).count == 1)
    }

    static func departedConsumersMessagesGoToAnother(_ harness: some BrokerHarness) async throws {
        let topic = harness.uniqueTopic()
        let publisher = harness.publisher()
        // c1 takes the message and never finishes; when c1 goes away, c2 must get it.
        let taken = MessageCollector()
        let rescued = MessageCollector()
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
    }

    static func batchesAcknowledgeOnlyWhatWasAccepted(_ harness: some BrokerHarness) async throws {
        let topic = harness.uniqueTopic()
        let publisher = harness.publisher()
        // Every third message is left out of the accepted set on its first delivery.
        let collector = MessageCollector()
        let sent = Self.messages(12)
        let refused = Set(sent.enumerated().filter { $0.offset % 3 == 0 }.map(\.element.body))
        try await Self.withBatches(
            harness,
            topic: topic,
            fastRedelivery: true,
            handler: { batch in
                for message in batch { collector.add(message) }
                return Set(batch.filter { $0.deliveryCount > 1 || !refused.contains($0.body) }.map(\.brokerID))
            },
            during: {
                try await publisher.publish(sent, topic: topic)
                await collector.wait(for: sent.count + refused.count)
            }
        )
        let redelivered = collector.messages.filter { $0.deliveryCount > 1 }
        #expect(Set(redelivered.map(\.body)) == refused)
        #expect(redelivered.count == refused.count)
    }
}
