import Logging

/// One command and the key that routes it in a cluster (nil for keyless commands such as `PING`).
public struct RedisCommand: Sendable, Equatable {
    /// The command and its arguments.
    public var arguments: [String]
    /// The key whose hash slot decides the node.
    public var key: String?

    /// A command routed by `key`.
    public init(_ arguments: [String], key: String?) {
        self.arguments = arguments
        self.key = key
    }
}

/// What the stream publisher, subscriber and partition leases need of Redis, whether one server
/// (`RedisClient`) or a cluster (`RedisClusterClient`).
public protocol RedisCommandRunner: Sendable {
    /// Where it connects (for a cluster, the seeds), and the settings of every connection.
    var configuration: RedisConfiguration { get }

    /// Sends the commands pipelined (per node) and returns their replies in the caller's order. Error
    /// replies come back as `.error` values; routing errors (MOVED, ASK, TRYAGAIN, CLUSTERDOWN) are
    /// handled here and never returned.
    func pipeline(_ commands: [RedisCommand]) async throws -> [RESPValue]

    /// Like `pipeline(_:)`, and sends `closing` last on each node's connection after that node's
    /// commands (`WAIT` does this: it counts the replicas that have the connection's writes).
    /// Returns each command's reply with the `closing` reply of the node that ran it.
    func pipeline(_ commands: [RedisCommand], closingEachNodeWith closing: [String]) async throws -> [(reply: RESPValue, closing: RESPValue)]

    /// A new connection of its own (for blocking reads) to the node that serves `key`; the caller closes it.
    func dedicatedConnection(forKey key: String) async throws -> RedisConnection

    /// Told that a connection from `dedicatedConnection(forKey:)` met a routing error or failed:
    /// the next one asks the cluster where the key lives.
    func routingFailed(forKey key: String) async

    /// Closes every connection it keeps.
    func close() async
}

extension RedisConfiguration {
    /// A client for this configuration: a `RedisClusterClient` for `redis-cluster://`, else a `RedisClient`.
    public func makeClient(logger: Logger) -> any RedisCommandRunner {
        isCluster ? RedisClusterClient(configuration: self, logger: logger) : RedisClient(configuration: self, logger: logger)
    }
}

extension RedisCommandRunner {
    /// Sends one command routed by `key`; an error reply throws `RedisError.server`.
    @discardableResult
    public func send(_ arguments: [String], key: String?) async throws -> RESPValue {
        try await pipeline([RedisCommand(arguments, key: key)])[0].throwingServerError()
    }
}

extension RedisClient: RedisCommandRunner {
    /// One server: keys do not matter.
    public func pipeline(_ commands: [RedisCommand]) async throws -> [RESPValue] {
        try await pipeline(commands.map(\.arguments))
    }

    /// One server is one node: `closing` goes after all the commands.
    public func pipeline(_ commands: [RedisCommand], closingEachNodeWith closing: [String]) async throws -> [(reply: RESPValue, closing: RESPValue)] {
        guard !commands.isEmpty else { return [] }
        let replies = try await pipeline(commands.map(\.arguments) + [closing])
        let last = replies[replies.count - 1]
        return replies.dropLast().map { ($0, last) }
    }

    /// A new connection to the server.
    public nonisolated func dedicatedConnection(forKey key: String) async throws -> RedisConnection {
        try await RedisConnection.connect(configuration: configuration, eventLoopGroup: eventLoopGroup, logger: logger)
    }

    /// Nothing to learn for one server.
    public nonisolated func routingFailed(forKey key: String) async {}
}
