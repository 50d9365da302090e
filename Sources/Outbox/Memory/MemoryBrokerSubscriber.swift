import Foundation
import Synchronization

/// One consumer of a `MemoryBroker` consumer group.
public struct MemoryBrokerSubscriber: MessageSubscriber {
    let broker: MemoryBroker
    /// The consumer group this subscriber reads for.
    public let group: String
    /// This member's name within the group.
    public let consumer: String
    let onSubscribed: @Sendable () -> Void

    /// Those of its broker.
    public var capabilities: BrokerCapabilities { broker.capabilities }
    /// `memory`.
    public var messagingSystem: String { "memory" }

    /// Delivers the group's messages to `handler` until cancelled; a throwing handler's message comes again.
    public func subscribe(
        topic: String,
        handler: @escaping @Sendable (IncomingMessage) async throws -> Void
    ) async throws {
        let signal = WakeUpSignal()
        broker.createGroup(group, topic: topic)
        let token = broker.state.withLock { state -> UInt64 in
            state.nextToken += 1
            state.topics[topic]!.listeners[state.nextToken] = signal
            state.topics[topic]!.members[state.nextToken] = self.group
            return state.nextToken
        }
        defer { leave(topic: topic, token: token) }
        onSubscribed()
        while !Task.isCancelled {
            switch take(topic: topic, token: token) {
            case .message(let index, let body, let count):
                do {
                    try await handler(IncomingMessage(brokerID: "\(index)", body: body, deliveryCount: count))
                    acknowledge(topic: topic, index: index)
                } catch {
                    retry(topic: topic, index: index)
                }
            case .waitUntil(let instant):
                await signal.wait(timeout: instant.map { $0 - .now } ?? .seconds(3600))
            }
        }
    }

    enum Next {
        case message(index: Int, body: String, count: Int)
        /// Nothing to do before this instant (or until a publish, when nil).
        case waitUntil(ContinuousClock.Instant?)
    }

    /// Picks a due redelivery first, else the group's next new message.
    func take(topic: String, token: UInt64) -> Next {
        broker.state.withLock { state -> Next in
            var group = state.topics[topic]!.groups[self.group]!
            defer { state.topics[topic]!.groups[self.group] = group }
            let now = ContinuousClock.now
            let index: Int
            if let due = group.redeliveries.firstIndex(where: { $0.notBefore <= now }) {
                index = group.redeliveries.remove(at: due).index
            } else if group.cursor < state.topics[topic]!.end {
                index = group.cursor
                group.cursor += 1
            } else {
                return .waitUntil(group.redeliveries.map(\.notBefore).min())
            }
            let count = (group.counts[index] ?? 0) + 1
            group.counts[index] = count
            group.pending[index] = (token, count)
            let topicState = state.topics[topic]!
            return .message(index: index, body: topicState.messages[index - topicState.base], count: count)
        }
    }

    func acknowledge(topic: String, index: Int) {
        broker.state.withLock { state in
            state.topics[topic]!.groups[group]!.pending[index] = nil
            state.topics[topic]!.groups[group]!.counts[index] = nil
            // Drop the prefix every group is done with, in chunks to keep this cheap.
            let watermark = state.topics[topic]!.groups.values.map(\.lowWatermark).min() ?? 0
            let done = watermark - state.topics[topic]!.base
            if done >= 1024 || (done > 0 && done == state.topics[topic]!.messages.count) {
                state.topics[topic]!.messages.removeFirst(done)
                state.topics[topic]!.base += done
            }
        }
    }

    func retry(topic: String, index: Int) {
        let notBefore = ContinuousClock.now + broker.redeliveryDelay
        broker.state.withLock { state in
            state.topics[topic]!.groups[group]!.pending[index] = nil
            state.topics[topic]!.groups[group]!.redeliveries.append(.init(index: index, notBefore: notBefore))
        }
    }

    /// A consumer that leaves hands its unacknowledged messages back to the group.
    func leave(topic: String, token: UInt64) {
        let others = broker.state.withLock { state -> [WakeUpSignal] in
            state.topics[topic]!.listeners[token] = nil
            state.topics[topic]!.members[token] = nil
            var group = state.topics[topic]!.groups[self.group]!
            let mine = group.pending.filter { $0.value.consumer == token }.keys.sorted()
            for index in mine {
                group.pending[index] = nil
                group.redeliveries.append(.init(index: index, notBefore: .now))
            }
            state.topics[topic]!.groups[self.group] = group
            return Array(state.topics[topic]!.listeners.values)
        }
        for signal in others { signal.signal() }
    }
}
