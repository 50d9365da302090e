import Logging
import Metrics
import NIOCore
import Outbox
import PostgresNIO
import ServiceLifecycle
import Synchronization

/// Connections to the server of a (multi-host) ``PostgresURL`` that its `target_session_attrs`
/// accepts — with `read-write`, the primary — and a deadline on every use.
///
/// - A new connection tries the host that last accepted one first, then the others in the URL's
///   order, and checks `transaction_read_only` when the URL asks for `read-write`.
/// - A lost connection, an administrator's shutdown (SQLSTATE 57P01–57P03), a connection error
///   (class 08) or a write refused as read-only (25006) close every idle connection: the next use
///   opens one where a primary is now, so the processes follow a failover without a restart. The
///   failed call throws ``OutboxError/Code/unavailable``; callers retry or report it.
/// - Each use (waiting for a connection, then the body) has `statementTimeout`. Past it the caller
///   gets ``OutboxError/Code/deadlineExceeded`` at once, whatever the driver does with the query in
///   flight; that connection is closed and never reused.
///
/// Counts `outbox_postgres_failovers_total` (the primary moved to another host) and
/// `outbox_postgres_statement_deadlines_total`. Run it in the service group (it closes its
/// connections at shutdown), or call ``close()``.
public final class PostgresPool: PostgresConnectionSource, Service {
    /// How the pool is sized and how long a use may take.
    public struct Options: Sendable {
        /// Most connections open at once.
        public var maximumConnections: Int
        /// Longest one use of a connection may take, including the wait for it.
        public var statementTimeout: Duration
        /// Server settings sent at startup, such as `PostgresOutboxStore.relaySettings`.
        public var settings: [(String, String)]

        /// Options with the given limits.
        public init(maximumConnections: Int = 20, statementTimeout: Duration = .seconds(10), settings: [(String, String)] = []) {
            self.maximumConnections = maximumConnections
            self.statementTimeout = statementTimeout
            self.settings = settings
        }
    }

    /// The servers and credentials.
    public let url: PostgresURL
    /// The limits this pool was made with.
    public let options: Options
    private let configurations: [PostgresConnection.Configuration]
    private let state: PoolState
    private let logger: Logger
    private let failovers: Counter
    private let deadlines: Counter

    /// A pool for `url`; nothing connects until first use. Throws if the URL's TLS files cannot be read.
    public init(
        url: PostgresURL,
        options: Options = .init(),
        logger: Logger,
        metricsFactory: any MetricsFactory = MetricsSystem.factory
    ) throws(OutboxError) {
        self.url = url
        self.options = options
        var configurations: [PostgresConnection.Configuration] = []
        for endpoint in url.endpoints {
            configurations.append(try url.connectionConfiguration(for: endpoint, settings: options.settings))
        }
        self.configurations = configurations
        self.state = PoolState(maximum: max(1, options.maximumConnections))
        self.logger = logger
        self.failovers = Counter(label: "outbox_postgres_failovers_total", factory: metricsFactory)
        self.deadlines = Counter(label: "outbox_postgres_statement_deadlines_total", factory: metricsFactory)
    }

    /// What each metric of the pool measures, by name: the `# HELP` line of a Prometheus page.
    public static let metricHelp: [String: String] = [
        "outbox_postgres_failovers_total": "Times the pool found the primary on another host or lost it and looked again.",
        "outbox_postgres_statement_deadlines_total": "Database calls answered with a deadline error because the server did not answer in time.",
    ]

    /// Waits for graceful shutdown, then closes the pool.
    public func run() async throws {
        try? await gracefulShutdown()
        await close()
    }

    /// Closes idle connections now and every leased one when it comes back; later uses fail.
    public func close() async {
        for connection in await state.close() { try? await connection.close() }
    }

    /// Lends a connection of the current primary (or any host, per the URL) to `body`, under the deadline.
    public func withConnection<Result: Sendable>(
        logger: Logger,
        _ body: @escaping @Sendable (PostgresConnection) async throws -> Result
    ) async throws -> Result {
        let holder = LeaseHolder()
        let timeout = options.statementTimeout
        let work: @Sendable () async throws -> Result = { [self] in
            let pooled = try await lease(logger: logger)
            guard holder.hold(pooled) else {
                // The deadline passed while the connection was being opened.
                await state.release(pooled, reusable: true)
                throw CancellationError()
            }
            do {
                let result = try await body(pooled.connection)
                if holder.take() { await state.release(pooled, reusable: true) }
                return result
            } catch {
                let loss = Self.classify(error)
                if holder.take() { await state.release(pooled, reusable: loss == nil) }
                guard let loss else { throw error }
                if loss == .serverGone {
                    let dropped = await state.serverGone()
                    for connection in dropped { try? await connection.close() }
                    logger.info(
                        "database connection lost; reconnecting to whichever host accepts it",
                        metadata: ["error": "\(String(reflecting: error))"]
                    )
                }
                throw OutboxError(code: .unavailable, message: "the database connection was lost; try again", underlying: error)
            }
        }
        return try await withAbandoningDeadline(
            timeout,
            timeoutError: {
                OutboxError(code: .deadlineExceeded, message: "the database did not answer within \(timeout.seconds) s")
            },
            onTimeout: { [state, deadlines] in
                deadlines.increment()
                logger.warning(
                    "database call passed its deadline; its connection is closed",
                    metadata: ["outbox.deadline.seconds": "\(timeout.seconds)"]
                )
                if let abandoned = holder.abandon() {
                    Task {
                        await state.forget()
                        try? await abandoned.connection.close()
                    }
                }
            },
            work
        )
    }

    /// An idle connection, or a new one when the pool has room; waits otherwise.
    private func lease(logger: Logger) async throws -> PooledConnection {
        switch try await state.acquire() {
        case .connection(let pooled):
            return pooled
        case .mayOpen:
            do {
                return try await open(logger: logger)
            } catch {
                await state.openFailed()
                throw error
            }
        }
    }

    /// Opens a connection on the first host, from the preferred one on, that the URL's target accepts.
    private func open(logger: Logger) async throws -> PooledConnection {
        let (start, id) = await state.openingPlan()
        let (connection, index) = try await Self.connect(url: url, configurations: configurations, startingAt: start, id: id, logger: logger)
        let (generation, previous) = await state.opened(endpoint: index)
        if let previous, previous != index {
            failovers.increment()
            self.logger.notice(
                "database primary moved",
                metadata: ["db.from": "\(url.endpoints[previous])", "db.to": "\(url.endpoints[index])"]
            )
        }
        return PooledConnection(connection: connection, endpoint: index, generation: generation)
    }

    /// Connects to the first of `url`'s hosts, from `startingAt` on, that its `target_session_attrs`
    /// accepts; `configurations` holds one per endpoint. Returns the connection and its endpoint's index.
    static func connect(
        url: PostgresURL,
        configurations: [PostgresConnection.Configuration],
        startingAt start: Int,
        id: Int,
        logger: Logger
    ) async throws -> (PostgresConnection, Int) {
        var failures: [String] = []
        var lastError: (any Error)?
        for offset in 0..<configurations.count {
            let index = (start + offset) % configurations.count
            let endpoint = url.endpoints[index]
            do {
                let connection = try await PostgresConnection.connect(
                    on: PostgresConnection.defaultEventLoopGroup.any(),
                    configuration: configurations[index],
                    id: id,
                    logger: logger
                )
                if url.targetSessionAttributes == .readWrite, try await isReadOnly(connection, logger: logger) {
                    try? await connection.close()
                    failures.append("\(endpoint) is read-only")
                    continue
                }
                return (connection, index)
            } catch {
                lastError = error
                failures.append("\(endpoint): \(summary(error))")
            }
        }
        let wanted = url.targetSessionAttributes == .readWrite ? "writes" : "connections"
        throw OutboxError(
            code: .unavailable,
            message: "no database host accepts \(wanted) (\(failures.joined(separator: "; ")))",
            underlying: lastError
        )
    }

    /// True if the server refuses writes: a hot standby, or one set read-only.
    static func isReadOnly(_ connection: PostgresConnection, logger: Logger) async throws -> Bool {
        let rows = try await connection.query("SHOW transaction_read_only", logger: logger).collect()
        return try rows.first?.decode(String.self) == "on"
    }

    /// How an error of a body bears on its connection.
    enum Loss: Equatable {
        /// This connection is unusable (closed by the client, say): drop it.
        case connection
        /// The server went away or refuses writes: drop every connection and find the primary again.
        case serverGone
    }

    /// nil for errors that leave the connection usable (a failed statement, a constraint).
    static func classify(_ error: any Error) -> Loss? {
        if let transaction = error as? PostgresTransactionError {
            let parts = [transaction.beginError, transaction.closureError, transaction.commitError, transaction.rollbackError].compactMap { $0 }
            let losses = parts.compactMap(classify)
            return losses.contains(.serverGone) ? .serverGone : losses.first
        }
        if let outbox = error as? OutboxError, let underlying = outbox.underlying { return classify(underlying) }
        guard let error = error as? PSQLError else { return nil }
        switch error.code {
        case .serverClosedConnection, .uncleanShutdown, .connectionError: return .serverGone
        case .clientClosedConnection, .messageDecodingFailure, .unexpectedBackendMessage: return .connection
        case .server:
            guard let state = error.serverInfo?[.sqlState] else { return nil }
            // read_only_sql_transaction, admin/crash shutdown, cannot connect now, connection exceptions
            if state == "25006" || state.hasPrefix("57P") || state.hasPrefix("08") { return .serverGone }
            return nil
        default: return nil
        }
    }

    private static func summary(_ error: any Error) -> String {
        if let error = error as? PSQLError {
            if let message = error.serverInfo?[.message] { return message }
            return "\(error.code)"
        }
        return "\(error)"
    }
}
