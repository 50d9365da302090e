import Foundation
import Logging
import Outbox
import RESP

/// Consumes a stream as member `consumer` of consumer group `group`, on a dedicated connection:
/// creates the group if needed (`XGROUP CREATE … $ MKSTREAM`), first re-reads its own pending
/// entries (after a crash or reconnect), then `XREADGROUP … BLOCK`. An entry is acknowledged
/// (`XACK`) only after the handler returned; entries left pending longer than `claimIdle` — by a
/// failed handler or a consumer that died — are taken over with `XAUTOCLAIM`.
public struct RedisStreamsSubscriber: MessageSubscriber {
    /// Who the subscriber is in its group, and how it reads.
    public struct Configuration: Sendable {
        /// The consumer group: each group receives every entry.
        public var group: String
        /// This member's name within the group; unique per running process.
        public var consumer: String
        /// Pending entries idle this long are reclaimed by any consumer of the group.
        public var claimIdle: Duration
        /// Entries fetched per read.
        public var batchSize: Int
        /// How long one `XREADGROUP` blocks waiting for new entries.
        public var block: Duration

        /// A configuration for member `consumer` of `group`.
        public init(group: String, consumer: String, claimIdle: Duration = .seconds(30), batchSize: Int = 100, block: Duration = .seconds(2)) {
            self.group = group
            self.consumer = consumer
            self.claimIdle = claimIdle
            self.batchSize = batchSize
            self.block = block
        }
    }

    let redis: RedisConfiguration
    /// The group, the member and how it reads.
    public let configuration: Configuration
    let logger: Logger
    let onSubscribed: @Sendable () async -> Void

    /// A subscriber with connections of its own to `redis`; `onSubscribed` runs once the group exists and reading starts.
    public init(redis: RedisConfiguration, configuration: Configuration, logger: Logger, onSubscribed: @escaping @Sendable () async -> Void = {}) {
        self.redis = redis
        self.configuration = configuration
        var logger = logger
        logger[metadataKey: "redis.group"] = "\(configuration.group)"
        self.logger = logger
        self.onSubscribed = onSubscribed
    }

    /// Persistent, consumer groups, acknowledgements.
    public var capabilities: BrokerCapabilities { RedisStreams.capabilities }

    /// Runs `handler` per entry of each read; the entries it accepted are acknowledged together.
    public func subscribe(topic: String, handler: @escaping @Sendable (IncomingMessage) async throws -> Void) async throws {
        try await subscribe(topic: topic) { [logger] messages in
            var accepted = Set<String>()
            for message in messages {
                do {
                    try await handler(message)
                    accepted.insert(message.brokerID)
                } catch {
                    // Left pending: XAUTOCLAIM hands it out again after claimIdle.
                    logger.info(
                        "stream handler failed; entry stays pending",
                        metadata: [
                            "redis.entry": "\(message.brokerID)", "error": "\(error)",
                        ]
                    )
                }
            }
            return accepted
        }
    }

    /// Hands each read (up to `batchSize` entries) to `batchHandler` and acknowledges what it accepted
    /// with one `XACK`.
    public func subscribe(topic: String, batchHandler handler: @escaping @Sendable ([IncomingMessage]) async throws -> Set<String>) async throws {
        var failures = 0
        while !Task.isCancelled {
            do {
                let connection = try await RedisConnection.connect(configuration: redis, logger: logger)
                try await withTaskCancellationHandler {
                    failures = 0
                    try await consume(topic: topic, connection: connection, handler: handler)
                } onCancel: {
                    connection.closeNow()
                }
                await connection.close()
            } catch {
                if Task.isCancelled { return }
                failures += 1
                let delay = RedisClient.backoff(attempt: failures, redis.reconnectBackoff)
                logger.info(
                    "redis stream consumer disconnected, reconnecting",
                    metadata: [
                        "redis.stream": "\(topic)", "redis.backoff.seconds": "\(delay)", "error": "\(error)",
                    ]
                )
                try await Task.sleep(for: delay)
            }
        }
    }

    private func consume(topic: String, connection: RedisConnection, handler: BatchHandler) async throws {
        let group = configuration.group
        let consumer = configuration.consumer
        let count = String(configuration.batchSize)
        do {
            try await connection.send(["XGROUP", "CREATE", topic, group, "$", "MKSTREAM"])
        } catch let error as RedisError where error.code == .server && error.message.hasPrefix("BUSYGROUP") {
            // The group exists already: it keeps its position.
        }
        await onSubscribed()
        // Our own pending entries first: delivered to us before a crash or disconnect, never acked.
        // Reading from after the last one seen, so an entry whose handler fails again is not
        // re-read in a loop (it waits for XAUTOCLAIM like any other).
        var after = "0"
        while !Task.isCancelled {
            let reply = try await connection.send(["XREADGROUP", "GROUP", group, consumer, "COUNT", count, "STREAMS", topic, after])
            let pending = RedisStreams.entries(reply.array?.first?.array?.last)
            guard let last = pending.last else { break }
            try await handle(pending, topic: topic, connection: connection, deliveryCount: 2, handler: handler)
            after = last.id
        }
        var nextClaim = ContinuousClock.now + configuration.claimIdle
        let blockMilliseconds = String(configuration.block.wholeMilliseconds)
        while !Task.isCancelled {
            if ContinuousClock.now >= nextClaim {
                try await reclaim(topic: topic, connection: connection, handler: handler)
                nextClaim = ContinuousClock.now + configuration.claimIdle / 2
            }
            let reply = try await connection.send([
                "XREADGROUP", "GROUP", group, consumer, "COUNT", count, "BLOCK", blockMilliseconds, "STREAMS", topic, ">",
            ])
            let entries = RedisStreams.entries(reply.array?.first?.array?.last)
            try await handle(entries, topic: topic, connection: connection, deliveryCount: 1, handler: handler)
        }
    }

    /// Takes over entries that stayed unacknowledged for `claimIdle` (their consumer failed or died).
    private func reclaim(topic: String, connection: RedisConnection, handler: BatchHandler) async throws {
        let idle = String(configuration.claimIdle.wholeMilliseconds)
        var cursor = "0-0"
        repeat {
            let reply = try await connection.send([
                "XAUTOCLAIM", topic, configuration.group, configuration.consumer, idle, cursor, "COUNT", String(configuration.batchSize),
            ])
            guard let parts = reply.array, parts.count >= 2 else { return }
            cursor = parts[0].string ?? "0-0"
            let claimed = RedisStreams.entries(parts[1])
            if !claimed.isEmpty {
                logger.info("reclaimed idle stream entries", metadata: ["redis.stream": "\(topic)", "redis.entries": "\(claimed.count)"])
            }
            try await handle(claimed, topic: topic, connection: connection, deliveryCount: 2, handler: handler)
        } while cursor != "0-0" && !Task.isCancelled
    }

    typealias BatchHandler = @Sendable ([IncomingMessage]) async throws -> Set<String>

    /// Runs the handler on the entries and acknowledges the ones it accepted, in one command.
    private func handle(
        _ entries: [RedisStreams.Entry],
        topic: String,
        connection: RedisConnection,
        deliveryCount: Int,
        handler: BatchHandler
    ) async throws {
        var acknowledged: [String] = []
        var messages: [IncomingMessage] = []
        for entry in entries {
            if let body = entry.fields["body"] {
                messages.append(IncomingMessage(brokerID: entry.id, body: body, deliveryCount: deliveryCount))
            } else {
                // Trimmed away while pending: nothing left to deliver, so let it go.
                acknowledged.append(entry.id)
            }
        }
        if !messages.isEmpty {
            do {
                let accepted = try await handler(messages)
                acknowledged += messages.lazy.map(\.brokerID).filter(accepted.contains)
            } catch {
                // All left pending: XAUTOCLAIM hands them out again after claimIdle.
                logger.info(
                    "stream batch handler failed; entries stay pending",
                    metadata: [
                        "redis.entries": "\(messages.count)", "error": "\(error)",
                    ]
                )
            }
        }
        guard !acknowledged.isEmpty else { return }
        try await connection.send(["XACK", topic, configuration.group] + acknowledged)
    }
}
