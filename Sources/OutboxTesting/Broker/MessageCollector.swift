import Outbox
import Synchronization

/// Collects received messages and lets a test await a count, without sleeping.
public final class MessageCollector: Sendable {
    private struct State {
        var messages: [(consumer: String, message: IncomingMessage)] = []
        var waiters: [(count: Int, continuation: CheckedContinuation<Void, Never>)] = []
    }

    private let state = Mutex(State())

    public init() {}

    /// Records a message received by `consumer`.
    public func add(_ message: IncomingMessage, consumer: String = "") {
        let ready = state.withLock { state -> [CheckedContinuation<Void, Never>] in
            state.messages.append((consumer, message))
            let count = state.messages.count
            defer { state.waiters.removeAll { $0.count <= count } }
            return state.waiters.filter { $0.count <= count }.map(\.continuation)
        }
        for waiter in ready { waiter.resume() }
    }

    /// Returns once at least `count` messages arrived.
    public func wait(for count: Int) async {
        await withCheckedContinuation { continuation in
            let done = state.withLock { state -> Bool in
                if state.messages.count >= count { return true }
                state.waiters.append((count, continuation))
                return false
            }
            if done { continuation.resume() }
        }
    }

    public var messages: [IncomingMessage] { state.withLock { $0.messages.map(\.message) } }
    public var bodies: [String] { messages.map(\.body) }

    /// Which consumer received each message body.
    public var consumers: [String: [String]] {
        state.withLock { state in
            Dictionary(grouping: state.messages, by: \.message.body).mapValues { $0.map(\.consumer) }
        }
    }
}
