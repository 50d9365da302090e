import Logging
import NIOCore
import NIOPosix

/// A command connection that reconnects on demand: a call after a lost connection opens a new one.
/// After a failed attempt, calls fail at once until an exponential backoff has passed, so an outage
/// is not hammered and no caller is held asleep here (a relay must not sit on claimed events).
public actor RedisClient {
    /// Where the client connects, and how.
    public nonisolated let configuration: RedisConfiguration
    let eventLoopGroup: any EventLoopGroup
    let logger: Logger
    private var connection: RedisConnection?
    /// Serialises connecting: actor methods interleave at `await`, so without it two callers could
    /// each open a connection after a disconnect. Later callers wait for the first one's result.
    private var isConnecting = false
    private var connectWaiters: [CheckedContinuation<Void, Never>] = []
    private var failedAttempts = 0
    private var nextAttempt: ContinuousClock.Instant?

    /// A client that connects on first use and reconnects with backoff.
    public init(
        configuration: RedisConfiguration,
        eventLoopGroup: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton,
        logger: Logger
    ) {
        self.configuration = configuration
        self.eventLoopGroup = eventLoopGroup
        self.logger = logger
    }

    /// Sends one command; an error reply throws `RedisError.server`.
    @discardableResult
    public func send(_ command: [String]) async throws -> RESPValue {
        try await pipeline([command])[0].throwingServerError()
    }

    /// Sends commands pipelined on the current connection, reconnecting first if it was lost.
    /// A transport failure drops the connection and is rethrown: the replies are unknown.
    public func pipeline(_ commands: [[String]]) async throws -> [RESPValue] {
        let connection = try await activeConnection()
        do {
            return try await connection.pipeline(commands)
        } catch {
            if self.connection === connection { self.connection = nil }
            await connection.close()
            throw error
        }
    }

    /// Closes the current connection, if any.
    public func close() async {
        await connection?.close()
        connection = nil
    }

    private func activeConnection() async throws -> RedisConnection {
        while true {
            if let connection, connection.isActive { return connection }
            guard isConnecting else { break }
            await withCheckedContinuation { connectWaiters.append($0) }
        }
        isConnecting = true
        connection = nil
        let result: Result<RedisConnection, any Error>
        do {
            result = .success(try await connect())
        } catch {
            result = .failure(error)
        }
        isConnecting = false
        let waiters = connectWaiters
        connectWaiters = []
        for waiter in waiters { waiter.resume() }
        return try result.get()
    }

    private func connect() async throws -> RedisConnection {
        if let nextAttempt, ContinuousClock.now < nextAttempt {
            let wait = String(format: "%.2f", (nextAttempt - .now).seconds)
            throw RedisError.connectFailed("\(failedAttempts) attempts failed; the next one in \(wait) s")
        }
        do {
            let fresh = try await RedisConnection.connect(
                configuration: configuration,
                eventLoopGroup: eventLoopGroup,
                logger: logger
            )
            if failedAttempts > 0 {
                logger.info("redis reconnected", metadata: ["redis.attempts": "\(failedAttempts)"])
            }
            failedAttempts = 0
            nextAttempt = nil
            connection = fresh
            return fresh
        } catch {
            failedAttempts += 1
            let delay = Self.backoff(attempt: failedAttempts, configuration.reconnectBackoff)
            nextAttempt = .now + delay
            throw error
        }
    }

    /// `initial * 2^(attempt-1)`, capped at `max`: the reconnect delay after `attempt` failures.
    public static func backoff(attempt: Int, _ bounds: (initial: Duration, max: Duration)) -> Duration {
        let seconds = bounds.initial.seconds * Double(1 << min(attempt - 1, 20))
        return .seconds(min(seconds, bounds.max.seconds))
    }
}

extension Duration {
    var seconds: Double {
        let parts = components
        return Double(parts.seconds) + Double(parts.attoseconds) / 1e18
    }
}
