import Foundation
import Logging
import Outbox
import RESP

/// Consumes a topic's streams as member `consumer` of consumer group `group`, each stream on a
/// dedicated connection to the node that serves it: creates the group if needed
/// (`XGROUP CREATE … $ MKSTREAM`), first re-reads its own pending entries (after a crash or
/// reconnect), then `XREADGROUP … BLOCK`. An entry is acknowledged (`XACK`) only after the handler
/// returned; entries left pending longer than `claimIdle` — by a failed handler or a consumer that
/// died — are taken over with `XAUTOCLAIM`.
///
/// With `partitions` > 1 (see `StreamPartitions`), the members of a group share the partitions
/// through leases (`PartitionLeases`): a member reads only the partitions it holds, so each
/// partition — and each order's events — has one reader in the group at a time. On taking a
/// partition the member first claims every entry the group still has pending in it, in id order.
public struct RedisStreamsSubscriber: MessageSubscriber {
    /// Who the subscriber is in its group, and how it reads.
    public struct Configuration: Sendable {
        /// The consumer group: each group receives every entry.
        public var group: String
        /// This member's name within the group; unique per running process.
        public var consumer: String
        /// Pending entries idle this long are reclaimed by any consumer of the group; with
        /// partitions, a member that stops renewing its leases loses its partitions within it.
        public var claimIdle: Duration
        /// Entries fetched per read.
        public var batchSize: Int
        /// How long one `XREADGROUP` blocks waiting for new entries.
        public var block: Duration
        /// How many partitions (streams) the topic has; the publisher's number.
        public var partitions: Int

        /// A configuration for member `consumer` of `group`.
        public init(
            group: String,
            consumer: String,
            claimIdle: Duration = .seconds(30),
            batchSize: Int = 100,
            block: Duration = .seconds(2),
            partitions: Int = 1
        ) {
            self.group = group
            self.consumer = consumer
            self.claimIdle = claimIdle
            self.batchSize = batchSize
            self.block = block
            self.partitions = max(1, partitions)
        }

        /// A partition lease lasts half of `claimIdle` (at least 2 s, so that a busy process still
        /// renews in time), so a member that stops renewing loses its partitions to the others
        /// (who look every third of a lease) within `claimIdle` (for `claimIdle` ≥ 4 s).
        var leaseDuration: Duration { max(claimIdle / 2, .seconds(2)) }
    }

    let redis: any RedisCommandRunner
    /// The group, the member and how it reads.
    public let configuration: Configuration
    let logger: Logger
    let onSubscribed: @Sendable () async -> Void

    /// A subscriber with connections of its own to `redis` (one server, or a cluster's seeds);
    /// `onSubscribed` runs once the group exists on every partition and reading starts.
    public init(redis: RedisConfiguration, configuration: Configuration, logger: Logger, onSubscribed: @escaping @Sendable () async -> Void = {}) {
        self.init(client: redis.makeClient(logger: logger), configuration: configuration, logger: logger, onSubscribed: onSubscribed)
    }

    /// A subscriber on `client`, which routes its commands and opens its reading connections.
    public init(client: any RedisCommandRunner, configuration: Configuration, logger: Logger, onSubscribed: @escaping @Sendable () async -> Void = {})
    {
        self.redis = client
        self.configuration = configuration
        var logger = logger
        logger[metadataKey: "redis.group"] = "\(configuration.group)"
        self.logger = logger
        self.onSubscribed = onSubscribed
    }

    /// Persistent, consumer groups, acknowledgements.
    public var capabilities: BrokerCapabilities { RedisStreams.capabilities }
    /// `redis`.
    public var messagingSystem: String { "redis" }

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
        let layout = StreamPartitions(topic: topic, count: configuration.partitions)
        try await retrying("redis consumer group not created") { try await createGroups(layout.streams) }
        await onSubscribed()
        if layout.count == 1 {
            try await read(stream: topic, holds: nil, handler: handler)
        } else {
            try await readOwnedPartitions(layout, handler: handler)
        }
    }

    typealias BatchHandler = @Sendable ([IncomingMessage]) async throws -> Set<String>

    /// The group on every stream, made from the end (`$`): entries published from now on are kept for it.
    private func createGroups(_ streams: [String]) async throws {
        let replies = try await redis.pipeline(
            streams.map { RedisCommand(["XGROUP", "CREATE", $0, configuration.group, "$", "MKSTREAM"], key: $0) }
        )
        for reply in replies {
            // BUSYGROUP: the group exists already and keeps its position.
            if case .error(let message) = reply, message.hasPrefix("BUSYGROUP") { continue }
            try reply.throwingServerError()
        }
    }

    /// Runs `body` until it succeeds, backing off after each failure (Redis down or failing over).
    private func retrying(_ what: String, _ body: () async throws -> Void) async throws {
        var failures = 0
        while true {
            do {
                return try await body()
            } catch {
                try Task.checkCancellation()
                failures += 1
                let delay = RedisClient.backoff(attempt: failures, redis.configuration.reconnectBackoff)
                logger.info("\(what), retrying", metadata: ["redis.configuration.reconnectBackoff.seconds": "\(delay)", "error": "\(error)"])
                try await Task.sleep(for: delay)
            }
        }
    }

    // MARK: Partition ownership

    /// Keeps this member's share of the partitions' leases and one reader per partition it holds.
    private func readOwnedPartitions(_ layout: StreamPartitions, handler: @escaping BatchHandler) async throws {
        let leases = PartitionLeases(
            redis: redis,
            partitions: layout,
            settings: .init(group: configuration.group, member: configuration.consumer, duration: configuration.leaseDuration),
            logger: logger
        )
        var readers: [Int: Task<Void, Never>] = [:]
        var failures = 0
        var share: Set<Int> = []
        let interval = leases.settings.renewInterval
        while !Task.isCancelled {
            let roundStarted = ContinuousClock.now
            do {
                do {
                    // Bounded: the member set's master may be failing over, and the leases on
                    // the other masters must still be renewed in time (with the last known share).
                    share = try await withAbandoningDeadline(interval, timeoutError: redisTimeout) { try await leases.share() }
                } catch {
                    if Task.isCancelled { break }
                    logger.info("partition member set not reached; keeping the last share", metadata: ["error": "\(error)"])
                }
                // Give back what is no longer ours: its reader stops before the lease goes.
                let giveBack = Set(readers.keys).subtracting(share)
                for partition in giveBack { readers[partition]?.cancel() }
                for partition in giveBack { await readers.removeValue(forKey: partition)?.value }
                await leases.release(giveBack)
                let held = try await leases.renewAndAcquire(share)
                for partition in Set(readers.keys).subtracting(held) {
                    // Lost (not renewed in time): its reader paused on its own already.
                    readers.removeValue(forKey: partition)?.cancel()
                }
                for partition in held where readers[partition] == nil {
                    let stream = layout.streams[partition]
                    readers[partition] = Task { [self] in
                        try? await read(stream: stream, holds: { await leases.holds(partition) }, handler: handler)
                    }
                }
                failures = 0
                // A round slowed by a master that is down still renews the others every interval.
                try await Task.sleep(for: max(.milliseconds(10), interval - (ContinuousClock.now - roundStarted)))
            } catch {
                if Task.isCancelled { break }
                failures += 1
                logger.info("partition leases not renewed", metadata: ["error": "\(error)", "redis.attempts": "\(failures)"])
                try? await Task.sleep(
                    for: min(leases.settings.renewInterval, RedisClient.backoff(attempt: failures, redis.configuration.reconnectBackoff))
                )
            }
        }
        // Leaving: stop reading, give the leases back and leave the member set, so the others
        // take over at once instead of after the leases expire.
        for reader in readers.values { reader.cancel() }
        for reader in readers.values { await reader.value }
        let held = Set(readers.keys)
        // In a task of its own: this one is cancelled, and the goodbye must still be said.
        await Task {
            await leases.release(held)
            _ = try? await leases.share(leaving: true)
        }.value
    }

    // MARK: Reading one stream

    /// Reads `stream` until cancelled, reconnecting with backoff. With `holds`, it reads only while
    /// that says so, and (re)starts by claiming the group's pending entries of the stream.
    private func read(stream: String, holds: (@Sendable () async -> Bool)?, handler: @escaping BatchHandler) async throws {
        var failures = 0
        while !Task.isCancelled {
            if let holds, !(await holds()) {
                // Not ours (yet, or any more): wait for the lease without reading.
                try await Task.sleep(for: .milliseconds(50))
                continue
            }
            do {
                let connection = try await redis.dedicatedConnection(forKey: stream)
                try await withTaskCancellationHandler {
                    failures = 0
                    try await consume(stream: stream, connection: connection, holds: holds, handler: handler)
                } onCancel: {
                    connection.closeNow()
                }
                await connection.close()
            } catch {
                if Task.isCancelled { return }
                await redis.routingFailed(forKey: stream)
                failures += 1
                let delay = RedisClient.backoff(attempt: failures, redis.configuration.reconnectBackoff)
                logger.info(
                    "redis stream consumer disconnected, reconnecting",
                    metadata: [
                        "redis.stream": "\(stream)", "redis.configuration.reconnectBackoff.seconds": "\(delay)", "error": "\(error)",
                    ]
                )
                try await Task.sleep(for: delay)
            }
        }
    }

    /// Returns at once while the lease is valid; otherwise waits until a renewal makes it valid again.
    /// A renewal succeeds only if the lease named this member all along, so what was read before the
    /// pause is still this member's to handle; a lease lost to another member cancels the reader.
    private func waitForLease(_ holds: (@Sendable () async -> Bool)?) async throws {
        guard let holds else { return }
        while !(await holds()) { try await Task.sleep(for: .milliseconds(20)) }
    }

    /// One connection's reading, until cancelled or the connection fails.
    private func consume(stream: String, connection: RedisConnection, holds: (@Sendable () async -> Bool)?, handler: BatchHandler) async throws {
        let group = configuration.group
        let consumer = configuration.consumer
        let count = String(configuration.batchSize)
        if holds != nil {
            // A partition just taken: every entry the group still has pending in it (delivered to
            // a member that had it before) becomes ours, and is read below with our own, in order.
            var cursor = "0-0"
            repeat {
                let reply = try await connection.send(["XAUTOCLAIM", stream, group, consumer, "0", cursor, "COUNT", "1000", "JUSTID"])
                cursor = reply.array?.first?.string ?? "0-0"
            } while cursor != "0-0" && !Task.isCancelled
        }
        // Our own pending entries first: delivered to us before a crash or disconnect, never acked.
        // Reading from after the last one seen, so an entry whose handler fails again is not
        // re-read in a loop (it waits for XAUTOCLAIM like any other).
        var after = "0"
        while !Task.isCancelled {
            let reply = try await connection.send(["XREADGROUP", "GROUP", group, consumer, "COUNT", count, "STREAMS", stream, after])
            try await waitForLease(holds)
            let pending = RedisStreams.entries(reply.array?.first?.array?.last)
            guard let last = pending.last else { break }
            try await acknowledge(
                handle(pending, deliveryCount: 2, handler: handler),
                stream: stream,
                connection: connection
            )
            after = last.id
        }
        var nextClaim = ContinuousClock.now + configuration.claimIdle
        let blockMilliseconds = String(configuration.block.wholeMilliseconds)
        let read = ["XREADGROUP", "GROUP", group, consumer, "COUNT", count, "BLOCK", blockMilliseconds, "STREAMS", stream, ">"]
        // What the last batch's handler accepted: acknowledged in the same write as the next read.
        // Cancelled before that read, the reader's connection is already closed: they stay pending,
        // come again, and the inbox recognises them (as when an XACK of its own failed).
        var accepted: [String] = []
        while !Task.isCancelled {
            if ContinuousClock.now >= nextClaim {
                try await acknowledge(accepted, stream: stream, connection: connection)
                accepted = []
                try await waitForLease(holds)
                try await reclaim(stream: stream, connection: connection, handler: handler)
                nextClaim = ContinuousClock.now + configuration.claimIdle / 2
            }
            let reply: RESPValue
            if accepted.isEmpty {
                reply = try await connection.send(read)
            } else {
                // One round trip instead of two: the XACK's reply arrives before the read blocks.
                let replies = try await connection.pipeline([acknowledgement(accepted, stream: stream), read])
                try replies[0].throwingServerError()
                reply = try replies[1].throwingServerError()
                accepted = []
            }
            // The lease may have lapsed while the read blocked: handle only once it is valid again
            // (if it is lost instead, the entries stay pending for the next owner).
            try await waitForLease(holds)
            let entries = RedisStreams.entries(reply.array?.first?.array?.last)
            accepted = await handle(entries, deliveryCount: 1, handler: handler)
        }
    }

    /// Takes over entries that stayed unacknowledged for `claimIdle` (their consumer failed or died).
    private func reclaim(stream: String, connection: RedisConnection, handler: BatchHandler) async throws {
        let idle = String(configuration.claimIdle.wholeMilliseconds)
        var cursor = "0-0"
        repeat {
            let reply = try await connection.send([
                "XAUTOCLAIM", stream, configuration.group, configuration.consumer, idle, cursor, "COUNT", String(configuration.batchSize),
            ])
            guard let parts = reply.array, parts.count >= 2 else { return }
            cursor = parts[0].string ?? "0-0"
            let claimed = RedisStreams.entries(parts[1])
            if !claimed.isEmpty {
                logger.info("reclaimed idle stream entries", metadata: ["redis.stream": "\(stream)", "redis.entries": "\(claimed.count)"])
            }
            try await acknowledge(
                handle(claimed, deliveryCount: 2, handler: handler),
                stream: stream,
                connection: connection
            )
        } while cursor != "0-0" && !Task.isCancelled
    }

    /// Runs the handler on the entries; returns the ids to acknowledge (the accepted ones, and any
    /// whose body was trimmed away).
    private func handle(_ entries: [RedisStreams.Entry], deliveryCount: Int, handler: BatchHandler) async -> [String] {
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
        return acknowledged
    }

    private func acknowledgement(_ ids: [String], stream: String) -> [String] {
        ["XACK", stream, configuration.group] + ids
    }

    /// One `XACK` for `ids`, if there are any.
    private func acknowledge(_ ids: [String], stream: String, connection: RedisConnection) async throws {
        guard !ids.isEmpty else { return }
        try await connection.send(acknowledgement(ids, stream: stream))
    }
}
