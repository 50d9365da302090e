import Outbox
import PostgresNIO
import Synchronization

/// A connection and what the pool knows of it.
struct PooledConnection: Sendable {
    let connection: PostgresConnection
    /// Index of the URL endpoint it is on.
    let endpoint: Int
    /// The pool's generation when it opened: connections of an older one are not reused.
    let generation: Int
}

/// The lease of one use, shared between the use and its deadline: whichever comes second learns
/// what the first did.
final class LeaseHolder: Sendable {
    private struct State {
        var pooled: PooledConnection?
        var abandoned = false
    }

    private let state = Mutex(State())

    /// Records the lease; false if the deadline already passed.
    func hold(_ pooled: PooledConnection) -> Bool {
        state.withLock { state in
            guard !state.abandoned else { return false }
            state.pooled = pooled
            return true
        }
    }

    /// Takes the lease back to return it; false if the deadline took it.
    func take() -> Bool {
        state.withLock { state in
            guard !state.abandoned else { return false }
            state.pooled = nil
            return true
        }
    }

    /// At the deadline: the connection in use, if any, to close.
    func abandon() -> PooledConnection? {
        state.withLock { state in
            state.abandoned = true
            defer { state.pooled = nil }
            return state.pooled
        }
    }
}

/// The pool's bookkeeping: idle connections, how many are open, who waits.
actor PoolState {
    enum Grant: Sendable {
        case connection(PooledConnection)
        /// Room for one more: the caller opens it (already counted).
        case mayOpen
    }

    let maximum: Int
    private var idle: [PooledConnection] = []
    /// Idle, leased and being opened: what counts against `maximum`.
    private var open = 0
    private var waiters: [(id: Int, continuation: CheckedContinuation<Grant, any Error>)] = []
    private var nextWaiter = 0
    private var nextConnectionID = 0
    private var generation = 0
    /// The endpoint that last accepted a connection: tried first, and where a failover is seen.
    private var primary: Int?
    private var closed = false

    init(maximum: Int) { self.maximum = maximum }

    func acquire() async throws -> Grant {
        if closed { throw OutboxError(code: .unavailable, message: "the database pool is closed") }
        while let pooled = idle.popLast() {
            if pooled.connection.isClosed || pooled.generation != generation {
                open -= 1
                Self.closeLater(pooled.connection)
                continue
            }
            return .connection(pooled)
        }
        if open < maximum {
            open += 1
            return .mayOpen
        }
        let id = nextWaiter
        nextWaiter += 1
        return try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { continuation in
                waiters.append((id, continuation))
            }
        } onCancel: {
            Task { await self.cancelWaiter(id) }
        }
    }

    private func cancelWaiter(_ id: Int) {
        guard let index = waiters.firstIndex(where: { $0.id == id }) else { return }
        waiters.remove(at: index).continuation.resume(throwing: CancellationError())
    }

    func openingPlan() -> (start: Int, id: Int) {
        nextConnectionID += 1
        return (primary ?? 0, nextConnectionID)
    }

    /// A connection opened on `endpoint`: the current generation, and the primary before it.
    func opened(endpoint: Int) -> (generation: Int, previous: Int?) {
        let previous = primary
        primary = endpoint
        return (generation, previous)
    }

    func openFailed() {
        open -= 1
        grantRoom()
    }

    /// A connection the deadline abandoned: no longer counted (its closing is the caller's).
    func forget() {
        open -= 1
        grantRoom()
    }

    func release(_ pooled: PooledConnection, reusable: Bool) {
        guard reusable, !closed, !pooled.connection.isClosed, pooled.generation == generation else {
            open -= 1
            Self.closeLater(pooled.connection)
            grantRoom()
            return
        }
        if !waiters.isEmpty {
            waiters.removeFirst().continuation.resume(returning: .connection(pooled))
        } else {
            idle.append(pooled)
        }
    }

    /// The server went away: idle connections are dropped (returned, to close) and leased ones are
    /// not reused.
    func serverGone() -> [PostgresConnection] {
        generation += 1
        let dropped = idle.map(\.connection)
        open -= idle.count
        idle = []
        grantRoom()
        return dropped
    }

    func close() -> [PostgresConnection] {
        closed = true
        let dropped = idle.map(\.connection)
        open -= idle.count
        idle = []
        for waiter in waiters {
            waiter.continuation.resume(throwing: OutboxError(code: .unavailable, message: "the database pool is closed"))
        }
        waiters = []
        return dropped
    }

    private func grantRoom() {
        while open < maximum, !waiters.isEmpty {
            open += 1
            waiters.removeFirst().continuation.resume(returning: .mayOpen)
        }
    }

    private static func closeLater(_ connection: PostgresConnection) {
        Task { try? await connection.close() }
    }
}
