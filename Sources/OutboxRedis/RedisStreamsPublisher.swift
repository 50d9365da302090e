import Logging
import Outbox
import RESP

/// Publishes with `XADD <stream> MAXLEN ~ <cap> * id <event id> key <key> body <envelope>`, one
/// pipelined write per batch. A message counts as published only once Redis has replied to its
/// `XADD` (with append-only persistence, the reply means it is on disk).
public struct RedisStreamsPublisher: MessagePublisher {
    let client: RedisClient
    /// Approximate length the stream is trimmed to (`MAXLEN ~`).
    public let maxLength: Int

    /// A publisher on `client` that trims each stream to about `maxLength` entries.
    public init(client: RedisClient, maxLength: Int = 1_000_000) {
        self.client = client
        self.maxLength = maxLength
    }

    /// Persistent, consumer groups, acknowledgements.
    public var capabilities: BrokerCapabilities { RedisStreams.capabilities }

    /// XADDs every message to the stream `topic` in one pipeline; returns once Redis accepted all of them.
    public func publish(_ messages: [OutgoingMessage], topic: String) async throws {
        guard !messages.isEmpty else { return }
        let cap = String(maxLength)
        let replies = try await client.pipeline(
            messages.map {
                ["XADD", topic, "MAXLEN", "~", cap, "*", "id", $0.id, "key", $0.key, "body", $0.body]
            }
        )
        for reply in replies { try reply.throwingServerError() }
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
