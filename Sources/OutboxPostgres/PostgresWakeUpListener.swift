import Logging
import Outbox
import PostgresNIO
import ServiceLifecycle

/// LISTENs on the outbox channel over a dedicated connection and turns notifications into relay
/// wake-ups. Notifications sent while it is disconnected are lost, so it wakes the relay after each
/// (re)connect and the relay also polls. With several hosts it listens on the one that accepts
/// writes (notifications are sent on the primary only) and follows a failover by reconnecting.
public struct PostgresWakeUpListener: Service {
    let url: PostgresURL
    let configurations: [PostgresConnection.Configuration]
    let channel: SQLIdentifier
    let signal: WakeUpSignal
    let logger: Logger

    /// A listener on `channel` (the store's `channel`) that signals `signal` on every notification.
    /// Throws if the URL's TLS files cannot be read.
    public init(url: PostgresURL, channel: SQLIdentifier, signal: WakeUpSignal, logger: Logger) throws(OutboxError) {
        self.url = url
        var configurations: [PostgresConnection.Configuration] = []
        for endpoint in url.endpoints { configurations.append(try url.connectionConfiguration(for: endpoint)) }
        self.configurations = configurations
        self.channel = channel
        self.signal = signal
        self.logger = logger
    }

    /// Listens until graceful shutdown, reconnecting with backoff (and signalling once after each reconnect, for what it missed).
    public func run() async throws {
        try await cancelWhenGracefulShutdown { try await self.listenLoop() }
    }

    private func listenLoop() async throws {
        var failures = 0
        let backoff = RetryPolicy(initialDelay: .milliseconds(200), maxDelay: .seconds(10), maxAttempts: .max)
        while !Task.isCancelled {
            do {
                let (connection, _) = try await PostgresPool.connect(
                    url: url,
                    configurations: configurations,
                    startingAt: 0,
                    id: 1,
                    logger: logger
                )
                if failures > 0 { logger.info("outbox listener reconnected") }
                failures = 0
                do {
                    try await connection.listen(on: channel.name) { notifications in
                        // Catch up on whatever was committed while we were not listening.
                        signal.signal()
                        for try await _ in notifications { signal.signal() }
                    }
                } catch {
                    try? await connection.close()
                    throw error
                }
                try? await connection.close()
            } catch is CancellationError {
                return
            } catch {
                if Task.isCancelled { return }
                failures += 1
                let delay = backoff.delay(afterAttempt: failures)
                logger.info(
                    "outbox listener disconnected, retrying",
                    metadata: [
                        "outbox.listener.attempts": "\(failures)",
                        "outbox.backoff.seconds": "\(delay.seconds)",
                        "error": "\(String(reflecting: error))",
                    ]
                )
                try await Task.sleep(for: delay)
            }
        }
    }
}
