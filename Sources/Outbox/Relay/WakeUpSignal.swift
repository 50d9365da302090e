import Dispatch
import Foundation
import Synchronization

/// Wakes waiting relays when new events were committed. A signal with no waiter is remembered once,
/// so a commit that lands between two waits is not missed.
public final class WakeUpSignal: Sendable {
    private struct Waiter {
        var continuation: CheckedContinuation<Bool, Never>
        var timer: Timer?
    }

    /// Dispatch sources may be cancelled from any thread.
    private struct Timer: @unchecked Sendable {
        let source: any DispatchSourceTimer
    }

    private struct State {
        var pending = false
        var waiters: [UInt64: Waiter] = [:]
        var nextID: UInt64 = 0
    }

    private let state = Mutex(State())

    /// A signal with no waiter.
    public init() {}

    /// Wakes every current waiter, or the next one if nobody waits.
    public func signal() {
        let waiters = state.withLock { state -> [Waiter] in
            if state.waiters.isEmpty {
                state.pending = true
                return []
            }
            defer { state.waiters.removeAll() }
            return Array(state.waiters.values)
        }
        for waiter in waiters {
            waiter.timer?.source.cancel()
            waiter.continuation.resume(returning: true)
        }
    }

    /// Returns on the next signal (or a remembered one), or when the task is cancelled.
    public func wait() async {
        _ = await waitForSignal(timeout: nil)
    }

    /// Waits for a signal for at most `timeout`; returns whether a signal arrived.
    @discardableResult
    public func wait(timeout: Duration) async -> Bool {
        await waitForSignal(timeout: timeout)
    }

    // One continuation and, with a timeout, one dispatch timer that a signal cancels: a relay waits
    // once per batch, and a task group with a sleeping child task cost two tasks and a timer that
    // still fired after the signal.
    private func waitForSignal(timeout: Duration?) async -> Bool {
        let id = state.withLock { state -> UInt64 in
            state.nextID += 1
            return state.nextID
        }
        return await withTaskCancellationHandler {
            await withCheckedContinuation { (continuation: CheckedContinuation<Bool, Never>) in
                let answer = state.withLock { state -> Bool? in
                    if state.pending {
                        state.pending = false
                        return true
                    }
                    // Cancelled before we registered: onCancel already ran and found nothing.
                    if Task.isCancelled { return false }
                    state.waiters[id] = Waiter(continuation: continuation)
                    return nil
                }
                if let answer { return continuation.resume(returning: answer) }
                guard let timeout else { return }
                let timer = Timer(source: DispatchSource.makeTimerSource(queue: Self.timers))
                timer.source.setEventHandler { [self] in end(id, returning: false) }
                timer.source.schedule(deadline: .now() + .nanoseconds(Int(timeout.nanoseconds)))
                timer.source.activate()
                // The waiter may have ended already (a signal, or this very timer): then nobody
                // else would cancel the timer.
                let kept = state.withLock { state -> Bool in
                    guard state.waiters[id] != nil else { return false }
                    state.waiters[id]?.timer = timer
                    return true
                }
                if !kept { timer.source.cancel() }
            }
        } onCancel: {
            end(id, returning: false)
        }
    }

    private func end(_ id: UInt64, returning answer: Bool) {
        guard let waiter = state.withLock({ $0.waiters.removeValue(forKey: id) }) else { return }
        waiter.timer?.source.cancel()
        waiter.continuation.resume(returning: answer)
    }

    private static let timers = DispatchQueue(label: "outbox.wake-up-signal.timers")
}
