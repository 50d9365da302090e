import Logging
import Outbox
import RESP

/// Publishes with `XADD <stream> MAXLEN ~ <cap> * id <event id> key <key> body <envelope>`, one
/// pipelined write per batch (per node, on a cluster). A message counts as published only once
/// Redis has replied to its `XADD` (with append-only persistence, the reply means it is on disk);
/// with `replicas` > 0, only once `WAIT` confirms that many replicas have it too.
public struct RedisStreamsPublisher: MessagePublisher {
    let client: any RedisCommandRunner
    /// Approximate length each stream is trimmed to (`MAXLEN ~`).
    public let maxLength: Int
    /// How many partitions (streams) a topic is split into; see `StreamPartitions`.
    public let partitions: Int
    /// Replicas that must confirm a write (`WAIT`) before it counts as published; 0 does not wait.
    public let replicas: Int
    /// Longest `WAIT` for those replicas.
    public let replicaTimeout: Duration

    /// A publisher on `client` that trims each stream to about `maxLength` entries, spreads a topic
    /// over `partitions` streams and, with `replicas` > 0, waits for that many replicas.
    public init(
        client: any RedisCommandRunner,
        maxLength: Int = 1_000_000,
        partitions: Int = 1,
        replicas: Int = 0,
        replicaTimeout: Duration = .seconds(1)
    ) {
        self.client = client
        self.maxLength = maxLength
        self.partitions = max(1, partitions)
        self.replicas = max(0, replicas)
        self.replicaTimeout = replicaTimeout
    }

    /// Persistent, consumer groups, acknowledgements.
    public var capabilities: BrokerCapabilities { RedisStreams.capabilities }
    /// `redis`.
    public var messagingSystem: String { "redis" }

    /// XADDs every message to its stream; returns once Redis accepted (and replicated) all of them.
    public func publish(_ messages: [OutgoingMessage], topic: String) async throws {
        let confirmed = try await publishConfirmed(messages, topic: topic)
        if confirmed.count < messages.count {
            throw OutboxError(
                code: .publishNotConfirmed,
                message: "\(messages.count - confirmed.count) of \(messages.count) messages not confirmed by \(replicas) replicas"
            )
        }
    }

    /// XADDs every message to its stream and, with `replicas` > 0, sends `WAIT replicas timeout`
    /// last on each master's connection: the messages of a master that confirms fewer replicas are
    /// left out of the returned ids (they are in Redis, but could be lost in a failover).
    public func publishConfirmed(_ messages: [OutgoingMessage], topic: String) async throws -> Set<String> {
        guard !messages.isEmpty else { return [] }
        let layout = StreamPartitions(topic: topic, count: partitions)
        let cap = String(maxLength)
        let commands = messages.map { message in
            let stream = layout.stream(forKey: message.key)
            return RedisCommand(
                ["XADD", stream, "MAXLEN", "~", cap, "*", "id", message.id, "key", message.key, "body", message.body],
                key: stream
            )
        }
        if replicas == 0 {
            for reply in try await client.pipeline(commands) { try reply.throwingServerError() }
            return Set(messages.map(\.id))
        }
        let wait = ["WAIT", String(replicas), String(replicaTimeout.wholeMilliseconds)]
        let replies = try await client.pipeline(commands, closingEachNodeWith: wait)
        var confirmed = Set<String>()
        for (message, reply) in zip(messages, replies) {
            try reply.reply.throwingServerError()
            if let count = reply.closing.integer, count >= replicas { confirmed.insert(message.id) }
        }
        return confirmed
    }
}

/// Facts shared by the Streams publisher and subscriber.
public enum RedisStreams {
    /// What Redis Streams promise: persistent, consumer groups, acknowledgements.
    public static let capabilities: BrokerCapabilities = [.persistent, .consumerGroups, .acknowledgements]

    /// One stream entry: its id and fields.
    struct Entry {
        var id: String
        var fields: [String: String]
    }

    /// Entries of an `XREADGROUP`/`XRANGE`-style list: `[[id, [field, value, …]], …]`. Entries
    /// whose fields are gone (trimmed while pending) come back with no fields.
    static func entries(_ value: RESPValue?) -> [Entry] {
        guard let list = value?.array else { return [] }
        return list.compactMap { item in
            guard let parts = item.array, let id = parts.first?.string else { return nil }
            var fields: [String: String] = [:]
            let flat = parts.count > 1 ? parts[1].array ?? [] : []
            var index = 0
            while index + 1 < flat.count {
                if let name = flat[index].string, let value = flat[index + 1].string { fields[name] = value }
                index += 2
            }
            return Entry(id: id, fields: fields)
        }
    }
}
