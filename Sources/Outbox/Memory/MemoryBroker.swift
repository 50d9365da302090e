import Foundation
import Synchronization

/// An in-process broker with the Redis Streams contract: every consumer group receives every
/// message published after the group was created; within a group each message goes to one
/// consumer; a message whose handler throws, or whose consumer leaves before acknowledging, is
/// delivered again. Messages live as long as the process.
public final class MemoryBroker: MessagePublisher {
    struct Redelivery {
        var index: Int
        var notBefore: ContinuousClock.Instant
    }

    struct Group {
        /// Index of the next message never delivered to this group.
        var cursor: Int
        /// Delivered, not yet acknowledged: message index → (consumer token, delivery count).
        var pending: [Int: (consumer: UInt64, count: Int)] = [:]
        var redeliveries: [Redelivery] = []
        var counts: [Int: Int] = [:]

        /// The lowest index this group may still need.
        var lowWatermark: Int {
            min(cursor, pending.keys.min() ?? .max, redeliveries.map(\.index).min() ?? .max)
        }
    }

    struct Topic {
        /// Messages from index `base` on; earlier ones were acknowledged by every group.
        var messages: [String] = []
        var base = 0
        var groups: [String: Group] = [:]
        var listeners: [UInt64: WakeUpSignal] = [:]
        /// Subscribed consumers: token → group.
        var members: [UInt64: String] = [:]
        var end: Int { base + messages.count }
    }

    struct State {
        var topics: [String: Topic] = [:]
        var nextToken: UInt64 = 0
    }

    // Internal so tests can look at retention.
    let state = Mutex(State())
    /// How long a failed message waits before it is offered again.
    public let redeliveryDelay: Duration

    /// A broker whose unacknowledged messages come again after `redeliveryDelay`.
    public init(redeliveryDelay: Duration = .milliseconds(100)) {
        self.redeliveryDelay = redeliveryDelay
    }

    /// Consumer groups and acknowledgements; nothing survives the process.
    public var capabilities: BrokerCapabilities { [.consumerGroups, .acknowledgements] }
    /// `memory`: the in-process broker.
    public var messagingSystem: String { "memory" }

    /// Appends the messages to the topic, for every group created on it.
    public func publish(_ messages: [OutgoingMessage], topic: String) async throws {
        let listeners = state.withLock { state -> [WakeUpSignal] in
            state.topics[topic, default: Topic()].messages += messages.map(\.body)
            return Array(state.topics[topic]!.listeners.values)
        }
        for listener in listeners { listener.signal() }
    }

    /// A subscriber that consumes `topic`s as member `consumer` of `group`. The group is created on
    /// first use and receives messages published from then on.
    /// `onSubscribed` runs once the consumer is registered.
    public func subscriber(
        group: String,
        consumer: String = "consumer",
        onSubscribed: @escaping @Sendable () -> Void = {}
    ) -> MemoryBrokerSubscriber {
        MemoryBrokerSubscriber(broker: self, group: group, consumer: consumer, onSubscribed: onSubscribed)
    }

    /// Creates `group` on `topic` now (if new), so it receives every message published from here on.
    public func createGroup(_ group: String, topic: String) {
        state.withLock { state in
            var topicState = state.topics[topic] ?? Topic()
            if topicState.groups[group] == nil {
                topicState.groups[group] = Group(cursor: topicState.end)
            }
            state.topics[topic] = topicState
        }
    }

    /// Messages delivered to `group` and not acknowledged yet.
    public func pendingCount(group: String, topic: String) -> Int {
        state.withLock { state in
            guard let group = state.topics[topic]?.groups[group] else { return 0 }
            return group.pending.count + group.redeliveries.count + (state.topics[topic]!.end - group.cursor)
        }
    }

    /// Consumers currently subscribed to `topic`.
    public func subscriberCount(topic: String) -> Int {
        state.withLock { $0.topics[topic]?.listeners.count ?? 0 }
    }
}
