import Outbox
import Synchronization
import Testing

/// A commit function that records every batch and holds the first commit until the test opens it,
/// so callers can be queued behind it deterministically.
private final class GatedCommits: Sendable {
    private let batches = Mutex<[[Int]]>([])
    private let gate: AsyncStream<Void>
    private let opener: AsyncStream<Void>.Continuation

    init() {
        (gate, opener) = AsyncStream.makeStream()
    }

    var committed: [[Int]] { batches.withLock { $0 } }

    func open() { opener.finish() }

    /// Ten times each item; a batch holding a negative item fails as a whole.
    func commit(_ items: [Int]) async throws -> [Int] {
        let first = batches.withLock { batches in
            batches.append(items)
            return batches.count == 1
        }
        if first { for await _ in gate {} }
        if items.contains(where: { $0 < 0 }) { throw BadItem() }
        return items.map { $0 * 10 }
    }

    struct BadItem: Error {}
}

private func attempt(_ body: () async throws -> Int) async -> Result<Int, any Error> {
    do { return .success(try await body()) } catch { return .failure(error) }
}

/// Waits (polling a condition, bounded) until `condition` holds.
private func until(_ condition: () -> Bool) async throws {
    for _ in 0..<5000 where !condition() {
        try await Task.sleep(for: .milliseconds(1))
    }
    #expect(condition())
}

@Suite("Group commit")
struct GroupCommitTests {
    /// Starts `first` (which holds the gate), then queues `queued` behind it; returns every answer.
    private func run(
        _ commits: GatedCommits,
        group: GroupCommit<Int, Int>,
        first: Int,
        queued: [Int],
        cancel: Set<Int> = []
    ) async throws -> [Int: Result<Int, any Error>] {
        try await withThrowingTaskGroup(of: (Int, Result<Int, any Error>).self) { tasks in
            tasks.addTask { (first, await attempt { try await group.submit(first) }) }
            try await until { commits.committed.count == 1 }
            for item in queued {
                tasks.addTask { (item, await attempt { try await group.submit(item) }) }
            }
            try await until { group.queued == queued.count }
            if !cancel.isEmpty {
                // Cancelling the whole group reaches only callers still waiting; none has been answered yet.
                tasks.cancelAll()
                try await until { group.queued == 0 }
            }
            commits.open()
            var answers: [Int: Result<Int, any Error>] = [:]
            for try await (item, result) in tasks { answers[item] = result }
            return answers
        }
    }

    @Test("callers queued behind a running commit share the next one and each gets its own answer")
    func coalesces() async throws {
        let commits = GatedCommits()
        let group = GroupCommit<Int, Int>(maxBatch: 64, maxConcurrentCommits: 1, commit: commits.commit)
        let answers = try await run(commits, group: group, first: 0, queued: Array(1...10))
        for item in 0...10 { #expect(try answers[item]?.get() == item * 10) }
        #expect(commits.committed.count == 2)
        #expect(commits.committed.last.map { Set($0) } == Set(1...10))
    }

    @Test("a shared commit that fails is retried item by item, so only the bad item fails")
    func badItemFailsAlone() async throws {
        let commits = GatedCommits()
        let group = GroupCommit<Int, Int>(maxBatch: 64, maxConcurrentCommits: 1, commit: commits.commit)
        let answers = try await run(commits, group: group, first: 0, queued: [1, 2, -3, 4])
        for item in [0, 1, 2, 4] { #expect(try answers[item]?.get() == item * 10) }
        #expect(throws: GatedCommits.BadItem.self) { try answers[-3]?.get() }
        // The gated one, the shared one that failed, then four single retries.
        #expect(commits.committed.count == 6)
        #expect(commits.committed.dropFirst(2).allSatisfy { $0.count == 1 })
    }

    @Test("no commit takes more than maxBatch items")
    func maxBatch() async throws {
        let commits = GatedCommits()
        let group = GroupCommit<Int, Int>(maxBatch: 4, maxConcurrentCommits: 1, commit: commits.commit)
        let answers = try await run(commits, group: group, first: 0, queued: Array(1...10))
        for item in 0...10 { #expect(try answers[item]?.get() == item * 10) }
        #expect(commits.committed.map(\.count) == [1, 4, 4, 2])
    }

    @Test("a caller cancelled while queued withdraws its item and is never committed")
    func cancelledWhileQueued() async throws {
        let commits = GatedCommits()
        let group = GroupCommit<Int, Int>(maxBatch: 64, maxConcurrentCommits: 1, commit: commits.commit)
        let answers = try await run(commits, group: group, first: 0, queued: [1, 2], cancel: [1, 2])
        #expect(try answers[0]?.get() == 0)
        for item in [1, 2] { #expect(throws: CancellationError.self) { try answers[item]?.get() } }
        #expect(commits.committed == [[0]])
    }

    @Test("commits run side by side up to maxConcurrentCommits")
    func concurrentSlots() async throws {
        let started = Mutex(0)
        let (gate, opener) = AsyncStream<Void>.makeStream()
        let group = GroupCommit<Int, Int>(maxBatch: 64, maxConcurrentCommits: 3) { items in
            started.withLock { $0 += 1 }
            for await _ in gate {}
            return items
        }
        try await withThrowingTaskGroup(of: Int.self) { tasks in
            for item in 0..<3 { tasks.addTask { try await group.submit(item) } }
            try await until { started.withLock { $0 } == 3 }
            tasks.addTask { try await group.submit(3) }
            try await until { group.queued == 1 }
            opener.finish()
            var outputs: Set<Int> = []
            for try await output in tasks { outputs.insert(output) }
            #expect(outputs == [0, 1, 2, 3])
        }
        #expect(started.withLock { $0 } == 4)
    }
}
