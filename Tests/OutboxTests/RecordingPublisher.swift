import Outbox
import Synchronization

/// A publisher that records what it was given, can be told to fail, and lets tests await counts.
final class RecordingPublisher: MessagePublisher {
    private struct State {
        var messages: [OutgoingMessage] = []
        var failuresLeft = 0
        var calls = 0
        var waiters: [(count: Int, continuation: CheckedContinuation<Void, Never>)] = []
    }

    struct Down: Error {}

    private let state = Mutex(State())

    init(failFirst calls: Int = 0) {
        state.withLock { $0.failuresLeft = calls }
    }

    var capabilities: BrokerCapabilities { [] }

    func publish(_ messages: [OutgoingMessage], topic: String) async throws {
        let ready = try state.withLock { state -> [CheckedContinuation<Void, Never>] in
            state.calls += 1
            if state.failuresLeft > 0 {
                state.failuresLeft -= 1
                throw Down()
            }
            state.messages += messages
            let count = state.messages.count
            let ready = state.waiters.filter { $0.count <= count }.map(\.continuation)
            state.waiters.removeAll { $0.count <= count }
            return ready
        }
        for waiter in ready { waiter.resume() }
    }

    var messages: [OutgoingMessage] { state.withLock { $0.messages } }
    var calls: Int { state.withLock { $0.calls } }

    /// Returns once at least `count` messages were published.
    func waitForMessages(_ count: Int) async {
        await withCheckedContinuation { continuation in
            let done = state.withLock { state -> Bool in
                if state.messages.count >= count { return true }
                state.waiters.append((count, continuation))
                return false
            }
            if done { continuation.resume() }
        }
    }
}
