import Synchronization

/// Group commit: concurrent callers submit one item each, and the items that queue up while earlier
/// commits are in flight share the next one. Each caller gets its own answer only after the commit
/// holding its item has finished, so an answer still means "committed". A shared commit that fails
/// is retried one item at a time, so one bad item fails alone.
///
/// There is no background task: the caller that finds a commit slot free (or is handed one) runs the
/// commit for itself and the callers queued behind it, then hands the slot to the next in line.
public final class GroupCommit<Item: Sendable, Output: Sendable>: Sendable {
    /// Commits `items` together; returns one output per item, in the same order.
    public typealias Commit = @Sendable (_ items: [Item]) async throws -> [Output]

    private enum Role: Sendable {
        case lead
        case answered(Result<Output, any Error>)
    }

    private struct Queued {
        var id: UInt64
        var item: Item
    }

    private struct State {
        var nextID: UInt64 = 0
        /// Items not yet taken into a commit, in arrival order.
        var queue: [Queued] = []
        /// Callers waiting for their answer (not the leaders, which already run).
        var waiting: [UInt64: CheckedContinuation<Role, Never>] = [:]
        /// Callers handed a slot that have not yet taken their batch.
        var designated: Set<UInt64> = []
        /// Slots in use: designated leaders plus commits running.
        var running = 0
    }

    /// The most items one commit takes.
    public let maxBatch: Int
    /// How many commits may run at once.
    public let maxConcurrentCommits: Int
    private let commit: Commit
    private let state = Mutex(State())

    /// - Parameters:
    ///   - maxBatch: the most items in one commit (1 turns coalescing off).
    ///   - maxConcurrentCommits: commits in flight at once; more callers queue and share the next one.
    ///   - commit: writes one batch of items in one transaction and returns their results in order.
    public init(maxBatch: Int = 64, maxConcurrentCommits: Int = 2, commit: @escaping Commit) {
        precondition(maxBatch >= 1 && maxConcurrentCommits >= 1, "maxBatch and maxConcurrentCommits must be at least 1")
        self.maxBatch = maxBatch
        self.maxConcurrentCommits = maxConcurrentCommits
        self.commit = commit
    }

    /// Items queued for a commit that has not started yet.
    public var queued: Int { state.withLock { $0.queue.count } }

    /// Commits `item` (with whatever else is queued) and returns its output once that commit finished.
    /// Cancelling a caller whose item is still queued withdraws the item and throws `CancellationError`.
    public func submit(_ item: Item) async throws -> Output {
        try Task.checkCancellation()
        let id = state.withLock { state -> UInt64 in
            state.nextID &+= 1
            return state.nextID
        }
        let role = await withTaskCancellationHandler {
            await withCheckedContinuation { (continuation: CheckedContinuation<Role, Never>) in
                let lead = state.withLock { state -> Bool in
                    state.queue.append(Queued(id: id, item: item))
                    if state.running < maxConcurrentCommits {
                        state.running += 1
                        state.designated.insert(id)
                        return true
                    }
                    state.waiting[id] = continuation
                    return false
                }
                if lead { continuation.resume(returning: .lead) }
            }
        } onCancel: {
            withdraw(id)
        }
        switch role {
        case .answered(let result):
            return try result.get()
        case .lead:
            return try await lead(id)
        }
    }

    /// Runs commits as the holder of a slot: first the batch led by `id`, then, while answering, the
    /// slot passes to the next queued caller (or is freed).
    private func lead(_ id: UInt64) async throws -> Output {
        if Task.isCancelled {
            // Cancelled before its commit began: withdraw like a queued caller, and pass the slot on.
            let next = state.withLock { state in
                state.designated.remove(id)
                state.queue.removeAll { $0.id == id }
                return Self.passSlot(&state)
            }
            next?.resume(returning: .lead)
            throw CancellationError()
        }
        let batch = state.withLock { state -> [Queued] in
            state.designated.remove(id)
            // Our own item first, then the oldest others that are not leading a batch of their own.
            var batch = state.queue.filter { $0.id == id }
            var rest: [Queued] = []
            for queued in state.queue where queued.id != id {
                if batch.count < maxBatch && !state.designated.contains(queued.id) {
                    batch.append(queued)
                } else {
                    rest.append(queued)
                }
            }
            state.queue = rest
            return batch
        }
        let results = await run(batch)
        // Answer the others and pass the slot on in one step, so no caller is left queued without a leader.
        let (answers, next) = state.withLock {
            state -> ([(CheckedContinuation<Role, Never>, Result<Output, any Error>)], CheckedContinuation<Role, Never>?) in
            var answers: [(CheckedContinuation<Role, Never>, Result<Output, any Error>)] = []
            for (index, queued) in batch.enumerated() where queued.id != id {
                // A caller cancelled while its item was committing already left; its answer is dropped.
                if let continuation = state.waiting.removeValue(forKey: queued.id) {
                    answers.append((continuation, results[index]))
                }
            }
            return (answers, Self.passSlot(&state))
        }
        for (continuation, result) in answers { continuation.resume(returning: .answered(result)) }
        next?.resume(returning: .lead)
        return try results[0].get()
    }

    /// Hands a freed slot to the oldest queued caller without one (returned, to be resumed outside
    /// the lock), or frees it.
    private static func passSlot(_ state: inout State) -> CheckedContinuation<Role, Never>? {
        if let successor = state.queue.first(where: { !state.designated.contains($0.id) }),
            let continuation = state.waiting.removeValue(forKey: successor.id)
        {
            state.designated.insert(successor.id)
            return continuation
        }
        state.running -= 1
        return nil
    }

    /// One shared commit; if it fails and held more than one item, each item alone.
    private func run(_ batch: [Queued]) async -> [Result<Output, any Error>] {
        do {
            let outputs = try await commit(batch.map(\.item))
            precondition(outputs.count == batch.count, "a group commit must return one output per item")
            return outputs.map { .success($0) }
        } catch {
            guard batch.count > 1 else { return [.failure(error)] }
            var results: [Result<Output, any Error>] = []
            results.reserveCapacity(batch.count)
            for queued in batch {
                do {
                    let outputs = try await commit([queued.item])
                    precondition(outputs.count == 1, "a group commit must return one output per item")
                    results.append(.success(outputs[0]))
                } catch {
                    results.append(.failure(error))
                }
            }
            return results
        }
    }

    /// A cancelled caller still queued leaves the queue; one already committing gets no answer.
    private func withdraw(_ id: UInt64) {
        let continuation = state.withLock { state -> CheckedContinuation<Role, Never>? in
            guard let continuation = state.waiting.removeValue(forKey: id) else { return nil }
            state.queue.removeAll { $0.id == id }
            return continuation
        }
        continuation?.resume(returning: .answered(.failure(CancellationError())))
    }
}
