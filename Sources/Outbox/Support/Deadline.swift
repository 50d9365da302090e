import Synchronization

/// Runs `operation` in a task of its own and returns its result, or throws `timeoutError()` once
/// `timeout` has passed, whichever comes first. Unlike a task group, the caller does not wait for an
/// operation that ignores cancellation (a query on a connection the server already dropped, say):
/// at the deadline the operation is cancelled, `onTimeout` runs (to close what it holds) and the
/// caller gets its answer; the operation's eventual result is dropped.
package func withAbandoningDeadline<T: Sendable>(
    _ timeout: Duration,
    timeoutError: @escaping @Sendable () -> any Error,
    onTimeout: @escaping @Sendable () -> Void = {},
    _ operation: @escaping @Sendable () async throws -> T
) async throws -> T {
    let race = DeadlineRace<T>()
    return try await withTaskCancellationHandler {
        try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<T, any Error>) in
            race.install(continuation)
            let work = Task {
                do {
                    race.finish(.success(try await operation()))
                } catch {
                    race.finish(.failure(error))
                }
            }
            let timer = Task {
                try? await Task.sleep(for: timeout)
                guard !Task.isCancelled else { return }
                if race.finish(.failure(timeoutError())) {
                    work.cancel()
                    onTimeout()
                }
            }
            race.started(work: work, timer: timer)
        }
    } onCancel: {
        race.finish(.failure(CancellationError()))
    }
}

/// The shared state of one deadline race: whichever side finishes first resumes the caller.
private final class DeadlineRace<T: Sendable>: Sendable {
    private struct State {
        var continuation: CheckedContinuation<T, any Error>?
        var outcome: Result<T, any Error>?
        var work: Task<Void, Never>?
        var timer: Task<Void, Never>?
        var finished = false
    }

    private let state = Mutex(State())

    func install(_ continuation: CheckedContinuation<T, any Error>) {
        let early = state.withLock { state -> Result<T, any Error>? in
            // Cancelled before the continuation existed: answer at once.
            if state.finished, let outcome = state.outcome { return outcome }
            state.continuation = continuation
            return nil
        }
        if let early { continuation.resume(with: early) }
    }

    func started(work: Task<Void, Never>, timer: Task<Void, Never>) {
        let finished = state.withLock { state -> Bool in
            state.work = work
            state.timer = timer
            return state.finished
        }
        if finished {
            timer.cancel()
        }
    }

    /// Resumes the caller with `outcome` if nothing did yet; true if this call did.
    @discardableResult
    func finish(_ outcome: Result<T, any Error>) -> Bool {
        let (continuation, tasks, first) = state.withLock {
            state -> (CheckedContinuation<T, any Error>?, (Task<Void, Never>?, Task<Void, Never>?), Bool) in
            guard !state.finished else { return (nil, (nil, nil), false) }
            state.finished = true
            state.outcome = outcome
            let continuation = state.continuation
            state.continuation = nil
            return (continuation, (state.work, state.timer), true)
        }
        guard first else { return false }
        tasks.1?.cancel()
        if case .failure(let error) = outcome, error is CancellationError { tasks.0?.cancel() }
        continuation?.resume(with: outcome)
        return true
    }
}
