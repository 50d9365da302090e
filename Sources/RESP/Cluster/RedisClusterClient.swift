import Logging
import NIOCore
import NIOPosix

/// A Redis Cluster client: learns the slot map from the seed nodes (`CLUSTER SHARDS`), keeps one
/// `RedisClient` (one connection, reconnecting with backoff) per master, and sends each command to
/// the master of its key's slot. A pipeline is split by node, the parts run at once, and the
/// replies come back in the caller's order.
///
/// Routing errors are handled here, within the command timeout: `MOVED` updates the slot, re-reads
/// the map and retries on the new node; `ASK` sends `ASKING` and the command to the importing node,
/// once, leaving the map alone; `TRYAGAIN` and `CLUSTERDOWN` back off and retry; a node that
/// refuses connections (a failed master) makes the client re-read the map from the other nodes and
/// retry, which finds the promoted replica. A connection lost with commands in flight is not
/// retried — whether they ran is unknown — and throws, like a single server's client.
public actor RedisClusterClient: RedisCommandRunner {
    /// The seed nodes and the settings of every node's connection.
    public nonisolated let configuration: RedisConfiguration
    private let eventLoopGroup: any EventLoopGroup
    private let logger: Logger
    private var map = ClusterSlotMap()
    private var clients: [RedisEndpoint: RedisClient] = [:]
    private var stale = true
    private var loading: Task<Void, any Error>?
    /// How many times the map was read, for tests and logs.
    public private(set) var mapReads = 0

    /// A client for the cluster whose seed nodes `configuration.clusterSeeds` names (or its host and port).
    public init(
        configuration: RedisConfiguration,
        eventLoopGroup: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton,
        logger: Logger
    ) {
        self.configuration = configuration
        self.eventLoopGroup = eventLoopGroup
        self.logger = logger
    }

    /// The masters of the current slot map (reading it first if it is not known yet).
    public func masters() async throws -> [RedisEndpoint] {
        if stale { try await refreshSlots() }
        return map.masters
    }

    /// The master that serves `key`'s slot, as far as the map knows.
    public func endpoint(forKey key: String) async throws -> RedisEndpoint {
        if stale { try await refreshSlots() }
        guard let owner = map.owners[ClusterSlot.of(key)] else {
            throw RedisError(code: .clusterDown, message: "no node serves slot \(ClusterSlot.of(key)) (key \(key))")
        }
        return owner
    }

    /// Reads the slot map again from a node that answers: the known masters first, then the seeds.
    /// Concurrent callers share one read.
    public func refreshSlots() async throws {
        if let loading { return try await loading.value }
        let task = Task { try await self.loadSlots() }
        loading = task
        defer { loading = nil }
        try await task.value
    }

    private func loadSlots() async throws {
        var candidates: [RedisEndpoint] = []
        for endpoint in map.masters + configuration.clusterSeeds + [configuration.endpoint]
            + clients.keys.sorted(by: { $0.description < $1.description })
        where !candidates.contains(endpoint) {
            candidates.append(endpoint)
        }
        var lastError: any Error = RedisError.connectFailed("no cluster node to ask for the slot map")
        for endpoint in candidates {
            do {
                let reply = try await client(endpoint).send(["CLUSTER", "SHARDS"])
                let fresh = try ClusterSlotMap(shards: reply, tls: configuration.tls != nil, answeredBy: endpoint)
                mapReads += 1
                if fresh != map {
                    logger.debug("redis cluster slot map changed", metadata: ["redis.masters": "\(fresh.masters)"])
                }
                map = fresh
                // A map with holes (a failover under way) is read again on the next command.
                stale = !fresh.isComplete
                return
            } catch {
                lastError = error
            }
        }
        throw lastError
    }

    /// Closes every node's connection.
    public func close() async {
        for client in clients.values { await client.close() }
        clients = [:]
    }

    /// Sends the commands, each to the master of its key's slot.
    public func pipeline(_ commands: [RedisCommand]) async throws -> [RESPValue] {
        try await run(commands, closing: nil).map(\.reply)
    }

    /// Sends the commands, each node's followed by `closing` on the same connection.
    public func pipeline(_ commands: [RedisCommand], closingEachNodeWith closing: [String]) async throws -> [(reply: RESPValue, closing: RESPValue)] {
        try await run(commands, closing: closing).map { ($0.reply, $0.closing ?? .error("no closing reply")) }
    }

    /// A new connection to the master of `key`'s slot.
    public func dedicatedConnection(forKey key: String) async throws -> RedisConnection {
        let endpoint = try await endpoint(forKey: key)
        do {
            return try await RedisConnection.connect(configuration: configuration.node(endpoint), eventLoopGroup: eventLoopGroup, logger: logger)
        } catch {
            stale = true
            throw error
        }
    }

    /// Points `slot` at `endpoint` in the map, rightly or not (tests use it to provoke `MOVED`).
    func route(slot: Int, to endpoint: RedisEndpoint) {
        if stale { stale = false }
        map.owners[slot] = endpoint
    }

    /// The next command reads the map again.
    public func routingFailed(forKey key: String) async {
        stale = true
    }

    private func client(_ endpoint: RedisEndpoint) -> RedisClient {
        if let client = clients[endpoint] { return client }
        let client = RedisClient(configuration: configuration.node(endpoint), eventLoopGroup: eventLoopGroup, logger: logger)
        clients[endpoint] = client
        return client
    }

    private func route(_ command: RedisCommand) throws(RedisError) -> RedisEndpoint {
        // A keyless command goes to any master (the first).
        let slot = command.key.map(ClusterSlot.of) ?? map.owners.firstIndex { $0 != nil } ?? 0
        guard let owner = map.owners[slot] else {
            throw RedisError(code: .clusterDown, message: "no node serves slot \(slot)")
        }
        return owner
    }

    /// One node's share of a round: the command indices, and whether each goes with `ASKING`.
    private struct Share: Sendable {
        var endpoint: RedisEndpoint
        var indices: [Int]
        var asking: [Bool]
        var wire: [[String]]
    }

    private func run(_ commands: [RedisCommand], closing: [String]?) async throws -> [(reply: RESPValue, closing: RESPValue?)] {
        guard !commands.isEmpty else { return [] }
        let deadline = ContinuousClock.now + configuration.commandTimeout
        var results = [(reply: RESPValue, closing: RESPValue?)?](repeating: nil, count: commands.count)
        var pending = Array(commands.indices)
        var asking: [Int: RedisEndpoint] = [:]
        var attempt = 0
        var lastError: any Error = RedisError.timeout
        while true {
            if stale {
                do { try await refreshSlots() } catch { lastError = error }
            }
            var shares: [RedisEndpoint: Share] = [:]
            var order: [RedisEndpoint] = []
            var unrouted: [Int] = []
            for index in pending {
                let target: RedisEndpoint
                do { target = try asking[index] ?? route(commands[index]) } catch {
                    lastError = error
                    unrouted.append(index)
                    continue
                }
                if shares[target] == nil {
                    shares[target] = Share(endpoint: target, indices: [], asking: [], wire: [])
                    order.append(target)
                }
                let isAsking = asking[index] != nil
                shares[target]!.indices.append(index)
                shares[target]!.asking.append(isAsking)
                if isAsking { shares[target]!.wire.append(["ASKING"]) }
                shares[target]!.wire.append(commands[index].arguments)
            }
            let outcomes = await send(order.map { shares[$0]! }, closing: closing)
            pending = unrouted
            var backOff = !unrouted.isEmpty
            for (share, outcome) in outcomes {
                let replies: [RESPValue]
                switch outcome {
                case .failure(let error):
                    stale = true
                    // Refused before anything was sent: safe to send again once the map is re-read.
                    guard (error as? RedisError)?.code == .connectFailed else { throw error }
                    lastError = error
                    pending += share.indices
                    backOff = true
                    continue
                case .success(let values):
                    replies = values
                }
                var position = 0
                let closingReply = closing == nil ? nil : replies.last
                for (index, isAsking) in zip(share.indices, share.asking) {
                    if isAsking { position += 1 }
                    let reply = replies[position]
                    position += 1
                    asking[index] = nil
                    switch ClusterReply(reply) {
                    case .moved(let slot, let to):
                        let target = to.host.isEmpty ? RedisEndpoint(host: share.endpoint.host, port: to.port) : to
                        map.owners[slot] = target
                        stale = true
                        pending.append(index)
                        lastError = RedisError.server("MOVED \(slot) \(target)")
                    case .ask(let slot, let to):
                        asking[index] = to.host.isEmpty ? RedisEndpoint(host: share.endpoint.host, port: to.port) : to
                        pending.append(index)
                        lastError = RedisError.server("ASK \(slot) \(to)")
                    case .retryLater(let message):
                        pending.append(index)
                        backOff = true
                        lastError = RedisError.server(message)
                    case nil:
                        results[index] = (reply, closingReply)
                    }
                }
            }
            if pending.isEmpty { break }
            pending.sort()
            attempt += 1
            guard ContinuousClock.now < deadline, attempt <= 64 else { throw lastError }
            if backOff {
                let delay = min(Duration.milliseconds(10) * (1 << min(attempt, 6)), .milliseconds(500))
                try await Task.sleep(for: min(delay, deadline - .now))
            }
        }
        return results.map { $0! }
    }

    /// Runs every node's share at once.
    private nonisolated func send(_ shares: [Share], closing: [String]?) async -> [(Share, Result<[RESPValue], any Error>)] {
        let clients = await shares.asyncMap { await self.client($0.endpoint) }
        if shares.count == 1 {
            return [(shares[0], await Result { try await clients[0].pipeline(shares[0].wire + (closing.map { [$0] } ?? [])) })]
        }
        return await withTaskGroup(of: (Int, Result<[RESPValue], any Error>).self) { group in
            for (position, share) in shares.enumerated() {
                let client = clients[position]
                group.addTask {
                    (position, await Result { try await client.pipeline(share.wire + (closing.map { [$0] } ?? [])) })
                }
            }
            var outcomes = [(Share, Result<[RESPValue], any Error>)?](repeating: nil, count: shares.count)
            for await (position, result) in group { outcomes[position] = (shares[position], result) }
            return outcomes.map { $0! }
        }
    }
}

extension Result where Failure == any Error {
    init(catching body: () async throws -> Success) async {
        do { self = .success(try await body()) } catch { self = .failure(error) }
    }
}

extension Array where Element: Sendable {
    func asyncMap<T>(_ transform: (Element) async -> T) async -> [T] {
        var out: [T] = []
        out.reserveCapacity(count)
        for element in self { out.append(await transform(element)) }
        return out
    }
}
