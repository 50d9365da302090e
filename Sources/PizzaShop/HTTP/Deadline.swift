import Foundation

/// Runs `operation` for at most `timeout`: past it, the operation is cancelled and the client gets a
/// 503, so no request waits forever on a database that stopped answering (and graceful shutdown,
/// which waits for requests in flight, is never held up by one).
func withDeadline<T: Sendable>(_ timeout: Duration, _ operation: @escaping @Sendable () async throws -> T) async throws -> T {
    try await withThrowingTaskGroup(of: T.self) { group in
        group.addTask { try await operation() }
        group.addTask {
            try await Task.sleep(for: timeout)
            throw PizzaShopError(.unavailable, "the database did not answer within \(timeout.seconds) s; try again")
        }
        defer { group.cancelAll() }
        return try await group.next()!
    }
}
