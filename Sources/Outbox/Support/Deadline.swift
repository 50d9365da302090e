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
            let alarm = DeadlineWatch.shared.set(ContinuousClock.now + timeout) {
                if race.finish(.failure(timeoutError())) {
                    work.cancel()
                    onTimeout()
                }
            }
            race.started(work: work, alarm: alarm)
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
        var alarm: DeadlineWatch.Alarm?
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

    func started(work: Task<Void, Never>, alarm: DeadlineWatch.Alarm) {
        let finished = state.withLock { state -> Bool in
            state.work = work
            state.alarm = alarm
            return state.finished
        }
        if finished { DeadlineWatch.shared.clear(alarm) }
    }

    /// Resumes the caller with `outcome` if nothing did yet; true if this call did.
    @discardableResult
    func finish(_ outcome: Result<T, any Error>) -> Bool {
        let (continuation, work, alarm, first) = state.withLock {
            state -> (CheckedContinuation<T, any Error>?, Task<Void, Never>?, DeadlineWatch.Alarm?, Bool) in
            guard !state.finished else { return (nil, nil, nil, false) }
            state.finished = true
            state.outcome = outcome
            let continuation = state.continuation
            state.continuation = nil
            return (continuation, state.work, state.alarm, true)
        }
        guard first else { return false }
        if let alarm { DeadlineWatch.shared.clear(alarm) }
        if case .failure(let error) = outcome, error is CancellationError { work?.cancel() }
        continuation?.resume(with: outcome)
        return true
    }
}

/// One clock for every deadline of the process: setting and clearing an alarm take a lock, and a
/// single task wakes every 50 ms while alarms are set to ring the expired ones. A task sleeping per
/// call would cost a task, a timer and a wake-up on cancellation for each database call.
package final class DeadlineWatch: Sendable {
    /// An alarm to clear when its work finished in time.
    package struct Alarm: Sendable, Hashable {
        let id: UInt64
    }

    private struct State {
        var alarms: [UInt64: (due: ContinuousClock.Instant, ring: @Sendable () -> Void)] = [:]
        var nextID: UInt64 = 0
        var ticking = false
    }

    /// The process's watch.
    package static let shared = DeadlineWatch()
    /// How often expired alarms are rung: deadlines are this late at most.
    static let resolution = Duration.milliseconds(50)
    private let state = Mutex(State())

    /// Rings `ring` once `due` has passed, unless cleared first.
    package func set(_ due: ContinuousClock.Instant, ring: @escaping @Sendable () -> Void) -> Alarm {
        let (alarm, startTicking) = state.withLock { state -> (Alarm, Bool) in
            state.nextID &+= 1
            state.alarms[state.nextID] = (due, ring)
            let start = !state.ticking
            state.ticking = true
            return (Alarm(id: state.nextID), start)
        }
        if startTicking { Task.detached { await self.tick() } }
        return alarm
    }

    /// Forgets `alarm`.
    package func clear(_ alarm: Alarm) {
        _ = state.withLock { $0.alarms.removeValue(forKey: alarm.id) }
    }

    private func tick() async {
        while true {
            try? await Task.sleep(for: Self.resolution)
            let now = ContinuousClock.now
            let (expired, idle) = state.withLock { state -> ([@Sendable () -> Void], Bool) in
                var expired: [@Sendable () -> Void] = []
                for (id, alarm) in state.alarms where alarm.due <= now {
                    expired.append(alarm.ring)
                    state.alarms.removeValue(forKey: id)
                }
                // Stop when nothing is set; the next `set` starts a new ticker.
                if state.alarms.isEmpty { state.ticking = false }
                return (expired, state.alarms.isEmpty)
            }
            for ring in expired { ring() }
            if idle { return }
        }
    }
}
