import Foundation
import Logging
import Outbox
import OutboxPostgres
import PizzaShop
import PostgresNIO
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
            logger.warning("\(what) failed, retrying", metadata: [
                "attempt": "\(attempt)", "backoff.seconds": "\(delay.seconds)", "error": "\(String(reflecting: error))",
            ])
            try await cancelWhenGracefulShutdown { try await Task.sleep(for: delay) }
        }
    }
}

/// The pooled client, the outbox store and the order repository for one PostgreSQL URL.
struct PostgresSetup {
    let client: PostgresClient
    let outbox: PostgresOutboxStore
    let repository: PostgresPizzaOrderRepository

    init(url: PostgresURL, connections: Int, groupCommit: PostgresPizzaOrderRepository.GroupCommitOptions = .init(), logger: Logger) throws {
        // Every pizza process reads the outbox (claims, admin lists, stats): all use the relay settings.
        client = PostgresClient(
            configuration: url.clientConfiguration(maximumConnections: connections, settings: PostgresOutboxStore.relaySettings),
            backgroundLogger: logger
        )
        outbox = try PostgresOutboxStore(client: client, logger: logger)
        repository = PostgresPizzaOrderRepository(client: client, outbox: outbox, logger: logger, groupCommit: groupCommit)
    }
}

/// Runs `body` while the backend's services (the PostgreSQL pool) run, for one-shot commands;
/// the backend is closed afterwards, whether `body` succeeded or not.
func withBackend<T: Sendable>(_ backend: Backend, _ body: () async throws -> T) async throws -> T {
    do {
        let result = try await withThrowingTaskGroup(of: Void.self) { group in
            for service in backend.pool {
                group.addTask { try await service.run() }
            }
            defer { group.cancelAll() }
            return try await body()
        }
        await backend.close()
        return result
    } catch {
        await backend.close()
        throw error
    }
}

/// Runs `services` in order as one group that stops on SIGTERM/SIGINT, then closes `backend`
/// (also when the group fails).
func runServices(_ services: [any Service], closing backend: Backend? = nil, logger: Logger) async throws {
    var configuration = ServiceGroupConfiguration(
        services: services.map { .init(service: $0) },
        gracefulShutdownSignals: [.sigterm, .sigint],
        logger: logger
    )
    // Shutdown is bounded: work in flight gets 30 s, then cancellation 5 s, then the process ends
    // (a call that never returns, like the PostgresNIO defect in docs/operations.md, cannot hold it).
    configuration.maximumGracefulShutdownDuration = .seconds(30)
    configuration.maximumCancellationDuration = .seconds(5)
    let group = ServiceGroup(configuration: configuration)
    do {
        try await group.run()
    } catch {
        await backend?.close()
        throw error
    }
    await backend?.close()
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
                logger.critical("\(what) stuck: one unit of work has run longer than its limit; exiting so that a supervisor restarts the process", metadata: [
                    "watchdog.age.seconds": "\(age.seconds)", "watchdog.limit.seconds": "\(limit.seconds)",
                ])
                exit(Self.exitStatus)
            }
        }
    }
}
