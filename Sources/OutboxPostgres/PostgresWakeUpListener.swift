import Logging
import Outbox
import PostgresNIO
import ServiceLifecycle

/// LISTENs on the outbox channel over a dedicated connection and turns notifications into relay
/// wake-ups. Notifications sent while it is disconnected are lost, so it wakes the relay after each
/// (re)connect and the relay also polls.
public struct PostgresWakeUpListener: Service {
    let configuration: PostgresConnection.Configuration
    let channel: SQLIdentifier
    let signal: WakeUpSignal
    let logger: Logger

    /// A listener on `channel` (the store's `channel`) that signals `signal` on every notification.
    public init(url: PostgresURL, channel: SQLIdentifier, signal: WakeUpSignal, logger: Logger) {
        self.configuration = url.connectionConfiguration()
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
                let connection = try await PostgresConnection.connect(
                    configuration: configuration,
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
