import Logging
import Outbox
import RESP
import Synchronization

/// Subscribes with `SUBSCRIBE` on a dedicated connection, resubscribing after a disconnect.
/// Messages published while disconnected are not seen: Pub/Sub is not persistent.
public struct RedisPubSubSubscriber: MessageSubscriber {
    let configuration: RedisConfiguration
    let logger: Logger
    let onSubscribed: @Sendable () async -> Void

    /// `onSubscribed` runs each time the subscription is (re)established (tests wait on it).
    public init(configuration: RedisConfiguration, logger: Logger, onSubscribed: @escaping @Sendable () async -> Void = {}) {
        self.configuration = configuration
        self.logger = logger
        self.onSubscribed = onSubscribed
    }

    /// None: a message published while no one listens is gone.
    public var capabilities: BrokerCapabilities { [] }
    /// `redis`.
    public var messagingSystem: String { "redis" }

    /// SUBSCRIBEs to `topic` and hands each message to `handler` until cancelled, resubscribing after a disconnect.
    public func subscribe(
        topic: String,
        handler: @escaping @Sendable (IncomingMessage) async throws -> Void
    ) async throws {
        let counter = Atomic<Int>(0)
        let subscription = RedisSubscription(configuration: configuration, channels: [topic], logger: logger)
        try await subscription.run(onSubscribed: onSubscribed) { message in
            let number = counter.wrappingAdd(1, ordering: .relaxed).newValue
            let incoming = IncomingMessage(brokerID: "\(number)", body: String(decoding: message.payload, as: UTF8.self))
            do {
                try await handler(incoming)
            } catch {
                // Nothing to redeliver from: the failure is logged and the message is gone.
                logger.info("pub/sub handler failed; message dropped", metadata: ["error": "\(error)"])
            }
        }
    }
}
