import Logging
import Outbox
import RESP

/// Publishes with `PUBLISH`, one pipelined write per batch. Pub/Sub keeps nothing: a message reaches
/// whoever is subscribed at that moment (the seed's behaviour, at-most-once).
public struct RedisPubSubPublisher: MessagePublisher {
    let client: RedisClient

    /// A publisher on `client`.
    public init(client: RedisClient) {
        self.client = client
    }

    /// None: Pub/Sub is at-most-once to whoever is subscribed now.
    public var capabilities: BrokerCapabilities { [] }
    /// `redis`.
    public var messagingSystem: String { "redis" }

    /// PUBLISHes every message to the channel `topic`, pipelined.
    public func publish(_ messages: [OutgoingMessage], topic: String) async throws {
        guard !messages.isEmpty else { return }
        let replies = try await client.pipeline(messages.map { ["PUBLISH", topic, $0.body] })
        for reply in replies { try reply.throwingServerError() }
    }
}
