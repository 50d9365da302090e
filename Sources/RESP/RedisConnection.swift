import Logging
import NIOCore
import NIOPosix

/// One TCP connection to Redis with pipelining: commands are written in one flush and their replies
/// matched in order. Create it with `connect`; a connection does not reconnect (see `RedisClient`).
public final class RedisConnection: Sendable {
    private let channel: any Channel
    private let configuration: RedisConfiguration
    /// Where the connection logs.
    public let logger: Logger

    private init(channel: any Channel, configuration: RedisConfiguration, logger: Logger) {
        self.channel = channel
        self.configuration = configuration
        self.logger = logger
    }

    /// Connects and runs the AUTH/SELECT handshake. `onPush` receives Pub/Sub messages and turns the
    /// connection into a subscriber connection.
    public static func connect(
        configuration: RedisConfiguration,
        eventLoopGroup: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton,
        logger: Logger,
        onPush: (@Sendable (RESPValue) -> Void)? = nil
    ) async throws -> RedisConnection {
        let connectTimeout = TimeAmount.nanoseconds(Int64(configuration.connectTimeout.seconds * 1e9))
        let channel: any Channel
        do {
            let tlsHandler = try configuration.tls?.makeHandler(host: configuration.host)
            channel = try await ClientBootstrap(group: eventLoopGroup)
                .connectTimeout(connectTimeout)
                .channelOption(.socketOption(.tcp_nodelay), value: 1)
                .channelInitializer { channel in
                    channel.eventLoop.makeCompletedFuture {
                        if let tlsHandler { try channel.pipeline.syncOperations.addHandler(tlsHandler) }
                        try channel.pipeline.syncOperations.addHandler(RESPChannelHandler(onPush: onPush))
                    }
                }
                .connect(host: configuration.host, port: configuration.port)
                .get()
        } catch {
            throw RedisError.connectFailed("\(configuration.host):\(configuration.port): \(error)")
        }
        let connection = RedisConnection(channel: channel, configuration: configuration, logger: logger)
        do {
            let handshake = configuration.handshake
            if !handshake.isEmpty {
                for reply in try await connection.pipeline(handshake) { try reply.throwingServerError() }
            }
        } catch {
            await connection.close()
            // A refused certificate surfaces here, on the first reply, rather than at connect.
            if configuration.tls != nil, (error as? RedisError)?.code != .server {
                throw RedisError.connectFailed("\(configuration.host):\(configuration.port): TLS: \(error)")
            }
            throw error
        }
        return connection
    }

    /// Whether the TCP connection is still open.
    public var isActive: Bool { channel.isActive }

    /// Completes when the connection has closed, for whatever reason.
    public func waitUntilClosed() async {
        try? await channel.closeFuture.get()
    }

    /// Sends one command; an error reply throws `RedisError.server`.
    @discardableResult
    public func send(_ command: [String]) async throws -> RESPValue {
        try await pipeline([command])[0].throwingServerError()
    }

    /// Sends all commands in one write and returns their replies in order. Error replies are
    /// returned as `.error` values so that one bad command does not hide the others' results.
    public func pipeline(_ commands: [[String]]) async throws -> [RESPValue] {
        guard !commands.isEmpty else { return [] }
        var buffer = channel.allocator.buffer(capacity: commands.count * 64)
        for command in commands { RESPEncoder.encode(command, into: &buffer) }
        let eventLoop = channel.eventLoop
        let promises = (0..<commands.count).map { _ in eventLoop.makePromise(of: RESPValue.self) }
        let timeout = TimeAmount.nanoseconds(Int64(configuration.commandTimeout.seconds * 1e9))
        // A late reply would desynchronise the pipeline: on timeout the replies fail and the
        // connection is closed. (A promise completed twice keeps its first result.)
        let timer = eventLoop.scheduleTask(in: timeout) { [channel] in
            for promise in promises { promise.fail(RedisError.timeout) }
            channel.close(promise: nil)
        }
        // A write to a closed channel never reaches the handler: fail the replies here, or their
        // callers would wait forever.
        let written = eventLoop.makePromise(of: Void.self)
        written.futureResult.whenFailure { error in
            for promise in promises { promise.fail(error is ChannelError ? RedisError.connectionClosed : error) }
        }
        channel.writeAndFlush(RESPRequest(buffer: buffer, promises: promises), promise: written)
        defer { timer.cancel() }
        // One wait for the whole pipeline: awaiting each reply in turn cost a thread hop per command.
        do {
            return try await EventLoopFuture.whenAllSucceed(promises.map(\.futureResult), on: eventLoop).get()
        } catch let error as RedisError {
            throw error
        } catch {
            // A reset or TLS failure from the channel: callers switch on RedisError codes.
            throw RedisError(code: .connectionClosed, message: "redis connection failed: \(error)")
        }
    }

    /// Starts closing without waiting (safe from cancellation handlers).
    public func closeNow() {
        channel.close(promise: nil)
    }

    /// Closes the connection; pending commands fail with `connectionClosed`.
    public func close() async {
        try? await channel.close()
    }
}
