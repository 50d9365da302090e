import Foundation
import Outbox
import Testing

extension BrokerConformance {
    /// What a `TopicMonitor` reports about a topic and its groups.
    static let monitoring: [BrokerConformanceCase] = [
        .init("monitorCountsPublishedReadAndMembers", area: "monitoring", requires: .consumerGroups) {
            try await monitorCountsPublishedReadAndMembers($0)
        }
    ]

    static func monitorCountsPublishedReadAndMembers(_ harness: some BrokerHarness) async throws {
        guard let monitor = harness.monitor() else { return }
        let topic = harness.uniqueTopic()
        #expect(try await monitor.state(topic: topic) == TopicState(published: 0, length: 0, groups: []), "an unknown topic is empty")
        let publisher = harness.publisher()
        let collector = MessageCollector()
        let sent = Self.messages(5)
        try await Self.with(harness, topic: topic, consumers: [("watched", "c1", { collector.add($0) })]) {
            try await publisher.publish(sent, topic: topic)
            await collector.wait(for: sent.count)
            // Acknowledgements follow the handler without a signal of their own: read until they show, briefly.
            let deadline = ContinuousClock.now + .seconds(5)
            var state = try await monitor.state(topic: topic)
            while state.groups.first?.pending != 0, ContinuousClock.now < deadline {
                try await Task.sleep(for: .milliseconds(20))
                state = try await monitor.state(topic: topic)
            }
            #expect(state.published == sent.count)
            #expect(state.groups.map(\.name) == ["watched"])
            let group = try #require(state.groups.first)
            #expect(group.pending == 0 && group.members == 1)
            #expect(group.delivered == nil || group.delivered == sent.count)
            #expect(group.lag == nil || group.lag == 0)
        }
    }
}
