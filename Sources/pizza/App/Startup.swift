import Foundation
import Logging
import Outbox
import ServiceLifecycle

/// Runs `prepare` (retrying with backoff while the database is unreachable), then the service.
struct PreparedService: Service {
    let name: String
    let prepare: @Sendable () async throws -> Void
    let service: any Service
    let logger: Logger

    func run() async throws {
        try await retryUntilDone(name, logger: logger, prepare)
        try await service.run()
    }
}

/// Retries `operation` with exponential backoff, one log line per step, until it succeeds or a
/// graceful shutdown begins.
func retryUntilDone(_ what: String, logger: Logger, _ operation: @Sendable () async throws -> Void) async throws {
    let backoff = RetryPolicy(initialDelay: .milliseconds(200), maxDelay: .seconds(10), maxAttempts: .max)
    var attempt = 0
    while true {
        do {
            try await operation()
            return
        } catch {
            attempt += 1
            if Task.isCancelled || Task.isShuttingDownGracefully { throw error }
            let delay = backoff.delay(afterAttempt: attempt)
            logger.warning(
                "\(what) failed, retrying",
                metadata: [
                    "attempt": "\(attempt)", "backoff.seconds": "\(delay.seconds)", "error": "\(String(reflecting: error))",
                ]
            )
            try await cancelWhenGracefulShutdown { try await Task.sleep(for: delay) }
        }
    }
}

/// Runs `services` in order as one group that stops on SIGTERM/SIGINT, with a bounded shutdown.
func runServices(_ services: [any Service], logger: Logger) async throws {
    var configuration = ServiceGroupConfiguration(
        services: services.map { .init(service: $0) },
        gracefulShutdownSignals: [.sigterm, .sigint],
        logger: logger
    )
    // Shutdown is bounded: work in flight gets 30 s, then cancellation 5 s, then the process ends
    // (a call that never returns, like the PostgresNIO defect in docs/operations.md, cannot hold it).
    configuration.maximumGracefulShutdownDuration = .seconds(30)
    configuration.maximumCancellationDuration = .seconds(5)
    try await ServiceGroup(configuration: configuration).run()
}

/// Ends the process (status 75) when one unit of work — a relay batch, a consumer's message — runs
/// longer than `limit`: it is stuck in a call that never returns (PostgresNIO 1.33.2 can lose a query
/// sent as PostgreSQL terminates the connection; see docs/operations.md). Exiting lets the supervisor
/// start a fresh process instead of keeping one that silently does nothing. List it before the
/// service it watches, so that it still watches while that service finishes during shutdown.
struct StuckWatchdog: Service {
    /// Exit status of a watchdog exit (EX_TEMPFAIL: try again).
    static let exitStatus: Int32 = 75

    let what: String
    let limit: Duration
    let age: @Sendable () -> Duration?
    let logger: Logger

    func run() async throws {
        await everyInterval(min(.seconds(1), limit / 4)) {
            if let age = age(), age > limit {
                logger.critical(
                    "\(what) stuck: one unit of work has run longer than its limit; exiting so that a supervisor restarts the process",
                    metadata: [
                        "watchdog.age.seconds": "\(age.seconds)", "watchdog.limit.seconds": "\(limit.seconds)",
                    ]
                )
                exit(Self.exitStatus)
            }
        }
    }
}
