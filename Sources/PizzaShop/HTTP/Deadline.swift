import Foundation
import Outbox

/// Runs `operation` for at most `timeout`: past it the client gets a 503 at once, even if the
/// operation ignores its cancellation (a query the database driver lost), so no request waits
/// forever and graceful shutdown is never held up by one.
func withDeadline<T: Sendable>(_ timeout: Duration, _ operation: @escaping @Sendable () async throws -> T) async throws -> T {
    try await withAbandoningDeadline(
        timeout,
        timeoutError: { PizzaShopError(.unavailable, "the database did not answer within \(timeout.seconds) s; try again") },
        operation
    )
}
