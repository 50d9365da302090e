import Logging
import NIOCore
import NIOPosix

/// A Pub/Sub message as delivered by Redis.
public struct RedisPubSubMessage: Sendable, Equatable {
    /// The channel it was published on.
    public var channel: String
    /// The message as published.
    public var payload: [UInt8]
}

/// Subscribes to channels on a dedicated connection and keeps the subscription alive across
/// disconnects (messages published while disconnected are lost: that is Pub/Sub's contract).
public struct RedisSubscription: Sendable {
    /// The server it subscribes on.
    public let configuration: RedisConfiguration
    /// The channels it subscribes to.
    public let channels: [String]
    private let eventLoopGroup: any EventLoopGroup
    private let logger: Logger

    /// A subscription to `channels`; nothing happens until `messages()` is iterated.
    public init(
        configuration: RedisConfiguration,
        channels: [String],
        eventLoopGroup: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton,
        logger: Logger
    ) {
        self.configuration = configuration
        self.channels = channels
        self.eventLoopGroup = eventLoopGroup
        self.logger = logger
    }

    /// Calls `onSubscribed` each time the subscription is (re)established and `handler` for every
    /// message, in arrival order, until the task is cancelled.
    public func run(
        onSubscribed: @Sendable () async -> Void = {},
        handler: @Sendable (RedisPubSubMessage) async -> Void
    ) async throws {
        var failures = 0
        while !Task.isCancelled {
            do {
                try await runOnce(
                    onSubscribed: {
                        failures = 0
                    },
                    onReady: onSubscribed,
                    handler: handler
                )
            } catch is CancellationError {
                return
            } catch {
                if Task.isCancelled { return }
                failures += 1
                let delay = RedisClient.backoff(attempt: failures, configuration.reconnectBackoff)
                logger.info(
                    "redis subscription lost, reconnecting",
                    metadata: [
                        "redis.channels": "\(channels.joined(separator: ","))",
                        "redis.backoff.seconds": "\(delay.seconds)",
                        "error": "\(error)",
                    ]
                )
                try await Task.sleep(for: delay)
            }
        }
    }

    private func runOnce(
        onSubscribed: () -> Void,
        onReady: @Sendable () async -> Void,
        handler: @Sendable (RedisPubSubMessage) async -> Void
    ) async throws {
        let (stream, continuation) = AsyncStream.makeStream(of: RedisPubSubMessage.self)
        let connection = try await RedisConnection.connect(
            configuration: configuration,
            eventLoopGroup: eventLoopGroup,
            logger: logger,
            onPush: { value in
                guard let parts = value.array, parts.count >= 3,
                    case .bulkString(let payload?) = parts[parts.count - 1],
                    let channel = parts[parts.count - 2].string
                else { return }
                continuation.yield(RedisPubSubMessage(channel: channel, payload: payload))
            }
        )
        try await withTaskCancellationHandler {
            try await withThrowingTaskGroup(of: Void.self) { group in
                // The stream ends when the connection does, so the loop below sees the outage.
                group.addTask {
                    await connection.waitUntilClosed()
                    continuation.finish()
                }
                let replies = try await connection.pipeline([["SUBSCRIBE"] + channels])
                for reply in replies { try reply.throwingServerError() }
                onSubscribed()
                logger.info("redis subscribed", metadata: ["redis.channels": "\(channels.joined(separator: ","))"])
                await onReady()
                for await message in stream {
                    await handler(message)
                }
                connection.closeNow()
                try await group.waitForAll()
            }
            if !Task.isCancelled { throw RedisError.connectionClosed }
        } onCancel: {
            continuation.finish()
            connection.closeNow()
        }
        await connection.close()
    }
}
