import Foundation

/// One consumer group of a topic as the broker sees it.
public struct ConsumerGroupState: Sendable, Equatable, Codable {
    /// The group's name.
    public var name: String
    /// Messages the group has read so far, nil when the broker does not count them.
    public var delivered: Int?
    /// Messages published that the group has not read yet, nil when the broker cannot tell.
    public var lag: Int?
    /// Messages delivered to a member and not acknowledged yet.
    public var pending: Int
    /// Members (consumers) of the group.
    public var members: Int
    /// How long the group's most recently active member has been idle, nil without members.
    public var idleSeconds: Double?

    /// A group as a broker reports it.
    public init(name: String, delivered: Int?, lag: Int?, pending: Int, members: Int, idleSeconds: Double?) {
        self.name = name
        self.delivered = delivered
        self.lag = lag
        self.pending = pending
        self.members = members
        self.idleSeconds = idleSeconds
    }
}

/// A topic's state: how many messages it has taken and where each consumer group stands.
public struct TopicState: Sendable, Equatable, Codable {
    /// Messages ever published to the topic (a counter: its rate is the publish rate).
    public var published: Int
    /// Messages the topic holds now.
    public var length: Int
    /// The topic's consumer groups, by name.
    public var groups: [ConsumerGroupState]

    /// A topic as a broker reports it.
    public init(published: Int, length: Int, groups: [ConsumerGroupState]) {
        self.published = published
        self.length = length
        self.groups = groups
    }
}

/// Reads a topic's state from a broker with consumer groups, for dashboards and checks: no side
/// effects, cheap enough to call every second.
public protocol TopicMonitor: Sendable {
    /// The topic's published count and its consumer groups, sorted by name.
    func state(topic: String) async throws -> TopicState
}

extension MemoryBroker: TopicMonitor {
    /// Messages appended so far and each group's cursor, unacknowledged messages and subscribers.
    public func state(topic: String) async throws -> TopicState {
        state.withLock { state in
            guard let topicState = state.topics[topic] else { return TopicState(published: 0, length: 0, groups: []) }
            let groups = topicState.groups.map { name, group in
                ConsumerGroupState(
                    name: name,
                    delivered: group.cursor,
                    lag: topicState.end - group.cursor,
                    pending: group.pending.count + group.redeliveries.count,
                    members: topicState.members.values.filter { $0 == name }.count,
                    idleSeconds: nil
                )
            }
            return TopicState(published: topicState.end, length: topicState.messages.count, groups: groups.sorted { $0.name < $1.name })
        }
    }
}
