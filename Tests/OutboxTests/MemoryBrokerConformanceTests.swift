import Foundation
import OutboxTesting
import Testing

@testable import Outbox

struct MemoryBrokerHarness: BrokerHarness {
    let broker = MemoryBroker(redeliveryDelay: .milliseconds(10))

    var capabilities: BrokerCapabilities { broker.capabilities }
    func publisher() -> any MessagePublisher { broker }
    func subscriber(group: String, consumer: String, fastRedelivery: Bool, ready: @escaping @Sendable () -> Void) -> any MessageSubscriber {
        broker.subscriber(group: group, consumer: consumer, onSubscribed: ready)
    }
    func uniqueTopic() -> String { "topic-\(UUID().uuidString)" }
    func monitor() -> (any TopicMonitor)? { broker }
}

@Suite("MemoryBroker conformance", .timeLimit(.minutes(2)))
struct MemoryBrokerConformanceTests {
    @Test(arguments: BrokerConformance.allCases)
    func conformance(_ check: BrokerConformanceCase) async throws {
        try await check.run(MemoryBrokerHarness())
    }

    @Test func declaresGroupsAndAcknowledgements() {
        let capabilities = MemoryBroker().capabilities
        #expect(capabilities == [.consumerGroups, .acknowledgements])
    }

    @Test func acknowledgedPrefixIsTrimmed() async throws {
        let broker = MemoryBroker()
        broker.createGroup("g", topic: "t")
        let collector = MessageCollector()
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { try await broker.subscriber(group: "g").subscribe(topic: "t") { collector.add($0) } }
            try await broker.publish((0..<3000).map { OutgoingMessage(id: "\($0)", key: "k", body: "\($0)") }, topic: "t")
            await collector.wait(for: 3000)
            group.cancelAll()
        }
        #expect(broker.pendingCount(group: "g", topic: "t") == 0)
        #expect(broker.state.withLock { $0.topics["t"]!.messages.count } < 1024)
    }
}
