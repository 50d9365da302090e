import Foundation
import Outbox
import RESP

/// A topic's state read from its Redis stream(s) with `XINFO`: what the stream has taken
/// (`entries-added`), and per consumer group what it has read (`entries-read`), its `lag`, its
/// pending entries and its consumers (with the least idle one's idle time). With partitions, the
/// streams' figures are summed. Every call is one pipeline per stream set, no writes.
public struct RedisStreamsMonitor: TopicMonitor {
    let redis: any RedisCommandRunner
    /// How many streams the topic is split into; the publisher's and subscribers' number.
    public let partitions: Int

    /// A monitor on `client` for topics split into `partitions` streams.
    public init(client: any RedisCommandRunner, partitions: Int = 1) {
        self.redis = client
        self.partitions = max(1, partitions)
    }

    /// The topic's streams' `entries-added` and lengths, and each group summed over them.
    public func state(topic: String) async throws -> TopicState {
        let streams = StreamPartitions(topic: topic, count: partitions).streams
        let infos = try await redis.pipeline(
            streams.flatMap { [RedisCommand(["XINFO", "STREAM", $0], key: $0), RedisCommand(["XINFO", "GROUPS", $0], key: $0)] }
        )
        var published = 0
        var length = 0
        var groups: [String: ConsumerGroupState] = [:]
        var consumerQueries: [RedisCommand] = []
        for (index, stream) in streams.enumerated() {
            let streamInfo = infos[2 * index]
            // A stream nobody has published to yet does not exist: it counts as empty.
            if case .error(let message) = streamInfo, message.contains("no such key") { continue }
            let fields = Self.fields(try streamInfo.throwingServerError())
            published += fields["entries-added"]?.integer.map(Int.init) ?? 0
            length += fields["length"]?.integer.map(Int.init) ?? 0
            for group in try infos[2 * index + 1].throwingServerError().array ?? [] {
                let fields = Self.fields(group)
                guard let name = fields["name"]?.string else { continue }
                var state = groups[name] ?? ConsumerGroupState(name: name, delivered: 0, lag: 0, pending: 0, members: 0, idleSeconds: nil)
                state.delivered = Self.sum(state.delivered, fields["entries-read"]?.integer)
                state.lag = Self.sum(state.lag, fields["lag"]?.integer)
                state.pending += Int(fields["pending"]?.integer ?? 0)
                groups[name] = state
                consumerQueries.append(RedisCommand(["XINFO", "CONSUMERS", stream, name], key: stream))
            }
        }
        // Members: distinct consumer names over the partitions; idle: the least idle of them.
        var members: [String: Set<String>] = [:]
        for (command, reply) in zip(consumerQueries, try await redis.pipeline(consumerQueries)) {
            let group = command.arguments[3]
            for consumer in (try? reply.throwingServerError())?.array ?? [] {
                let fields = Self.fields(consumer)
                guard let name = fields["name"]?.string else { continue }
                members[group, default: []].insert(name)
                if let idle = fields["idle"]?.integer {
                    let seconds = Double(idle) / 1000
                    let least = groups[group]?.idleSeconds.map { min($0, seconds) } ?? seconds
                    groups[group]?.idleSeconds = least
                }
            }
        }
        for (group, names) in members { groups[group]?.members = names.count }
        return TopicState(published: published, length: length, groups: groups.values.sorted { $0.name < $1.name })
    }

    /// A reply of alternating names and values (RESP2's map) as a dictionary.
    static func fields(_ reply: RESPValue) -> [String: RESPValue] {
        let elements = reply.array ?? []
        var fields: [String: RESPValue] = [:]
        var index = 0
        while index + 1 < elements.count {
            if let name = elements[index].string { fields[name] = elements[index + 1] }
            index += 2
        }
        return fields
    }

    /// Adds a stream's figure to the topic's; unknown (nil, as `lag` can be) once any part is.
    static func sum(_ total: Int?, _ part: Int64?) -> Int? {
        guard let total, let part else { return nil }
        return total + Int(part)
    }
}
