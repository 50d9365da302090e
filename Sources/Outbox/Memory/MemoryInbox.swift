import Synchronization

/// An in-memory inbox: the effect runs under the inbox's lock, so a delivery and its effect are
/// recorded together and a repeat never runs the effect again. For tests and examples.
public final class MemoryInbox: Inbox {
    /// No transaction: effects run under the inbox's lock.
    public typealias Transaction = Void

    private struct Key: Hashable {
        var group: String
        var eventID: String
    }

    private let counts = Mutex<[Key: Int]>([:])
    private let lock = AsyncLock()

    /// An empty inbox.
    public init() {}

    /// Runs `effect` once per event and group, in order per aggregate (see `Inbox.receive(_:effect:)`).
    public func receive(_ message: InboxMessage, effect: @escaping @Sendable (Void) async throws -> Void) async throws -> InboxOutcome {
        let key = Key(group: message.group, eventID: message.eventID)
        return try await lock.withLock {
            let seen = counts.withLock { $0[key] ?? 0 }
            if seen > 0 {
                counts.withLock { $0[key] = seen + 1 }
                return .duplicate(deliveryCount: seen + 1)
            }
            if let previous = message.previousEventID,
                counts.withLock({ $0[Key(group: message.group, eventID: previous)] ?? 0 }) == 0
            {
                return .outOfOrder(waitingFor: previous)
            }
            // Recorded only once the effect succeeded: a failed effect leaves the event unseen.
            try await effect(())
            counts.withLock { $0[key] = 1 }
            return .processed
        }
    }

    /// How many times `eventID` reached `group`.
    public func deliveryCount(eventID: String, group: String) -> Int {
        counts.withLock { $0[Key(group: group, eventID: eventID)] ?? 0 }
    }
}
