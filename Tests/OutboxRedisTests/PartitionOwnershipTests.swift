import Foundation
import Logging
import Outbox
import OutboxTesting
import RESP
import Synchronization
import TestSupport
import Testing

@testable import OutboxRedis

/// One owner per partition in each group: members join and leave while messages flow, and a
/// member that stops renewing loses its partitions.
@Suite(.enabled(if: TestServers.redisEnabled), .timeLimit(.minutes(2)))
struct PartitionOwnershipTests {
    let configuration: RedisConfiguration
    let logger = Logger(label: "partition-test")

    init() throws {
        configuration = try RedisConfiguration(url: try TestServers.requireRedisURL())
    }

    func subscriber(_ member: String, partitions: Int, claimIdle: Duration, ready: MessageCollector? = nil) -> RedisStreamsSubscriber {
        RedisStreamsSubscriber(
            redis: configuration,
            configuration: .init(group: "g", consumer: member, claimIdle: claimIdle, block: .milliseconds(100), partitions: partitions),
            logger: logger,
            onSubscribed: { ready?.add(IncomingMessage(brokerID: member, body: "")) }
        )
    }

    /// Which member is inside a handler for each partition right now; a second one is a violation.
    final class Readers: Sendable {
        private let state = Mutex<(active: [Int: String], violations: [String])>(([:], []))
        func enter(_ partition: Int, _ member: String) {
            state.withLock { state in
                if let other = state.active[partition], other != member {
                    state.violations.append("partition \(partition): \(member) while \(other)")
                }
                state.active[partition] = member
            }
        }
        func leave(_ partition: Int) { _ = state.withLock { $0.active.removeValue(forKey: partition) } }
        var violations: [String] { state.withLock { $0.violations } }
    }

    /// Waits until every body in `expected` has arrived at least once.
    static func waitForAll(_ collector: MessageCollector, _ expected: Set<String>) async {
        var count = expected.count
        while true {
            await collector.wait(for: count)
            let missing = expected.subtracting(collector.bodies).count
            if missing == 0 { return }
            count = collector.bodies.count + missing
        }
    }

    @Test func membersJoiningAndLeavingNeverShareAPartition() async throws {
        let topic = TestServers.uniqueName("owned")
        let layout = StreamPartitions(topic: topic, count: 4)
        let publisher = RedisStreamsPublisher(client: RedisClient(configuration: configuration, logger: logger), partitions: 4)
        let readers = Readers()
        let collector = MessageCollector()
        let keys = (0..<24).map { "order-\($0)" }
        let sent = (0..<600).map { n in OutgoingMessage(id: "m\(n)", key: keys[n % keys.count], body: "\(keys[n % keys.count]) \(n)") }
        let ready = MessageCollector()
        func member(_ name: String) -> @Sendable () async throws -> Void {
            let subscriber = subscriber(name, partitions: 4, claimIdle: .milliseconds(1500), ready: ready)
            return {
                try await subscriber.subscribe(topic: topic) { (message: IncomingMessage) in
                    let partition = layout.partition(forKey: String(message.body.split(separator: " ")[0]))
                    readers.enter(partition, name)
                    // A handler cancelled in its sleep (its member leaving) has left too.
                    defer { readers.leave(partition) }
                    try await Task.sleep(for: .milliseconds(1))
                    collector.add(message, consumer: name)
                }
            }
        }
        // Paced publishing of one third of the messages, while membership changes.
        @Sendable func publish(_ part: Int) async throws {
            for start in stride(from: part * 200, to: part * 200 + 200, by: 20) {
                try await publisher.publish(Array(sent[start..<start + 20]), topic: topic)
                try await Task.sleep(for: .milliseconds(40))
            }
        }
        try await withThrowingTaskGroup(of: Void.self) { group in
            let a = Task { try await member("a")() }
            // The group exists on every partition before anything is published.
            await ready.wait(for: 1)
            try await publish(0)
            await collector.wait(for: 200)
            // b joins while the second third flows: a gives b its share.
            group.addTask { try await member("b")() }
            try await publish(1)
            await collector.wait(for: 400)
            // a leaves gracefully (its partitions go to b at once), c joins, the rest flows.
            a.cancel()
            _ = await a.result
            group.addTask { try await member("c")() }
            await ready.wait(for: 3)
            try await publish(2)
            await Self.waitForAll(collector, Set(sent.map(\.body)))
            group.cancelAll()
            try? await group.waitForAll()
        }
        #expect(readers.violations == [])
        // Each key's messages took effect in publish order (a redelivery may repeat one later).
        for key in keys {
            var seen = Set<String>()
            let firsts = collector.bodies.filter { $0.hasPrefix("\(key) ") && seen.insert($0).inserted }
            #expect(firsts == sent.filter { $0.key == key }.map(\.body), "key \(key)")
        }
        // All three members read something.
        #expect(Set(collector.consumers.values.flatMap { $0 }) == ["a", "b", "c"])
    }

    @Test func aMemberThatStopsRenewingLosesItsPartitions() async throws {
        let topic = TestServers.uniqueName("ghost")
        let claimIdle = Duration.seconds(4)
        let layout = StreamPartitions(topic: topic, count: 3)
        let client = RedisClient(configuration: configuration, logger: logger)
        // "ghost" registers and takes every lease (for half of claimIdle, as a member does), then
        // dies: it never renews.
        let lease = claimIdle / 2
        let ghost = PartitionLeases(redis: client, partitions: layout, settings: .init(group: "g", member: "ghost", duration: lease), logger: logger)
        _ = try await ghost.share()
        // Each lease expires `lease` after its SET, so none before this instant + `lease`.
        let ghostDied = ContinuousClock.now
        for partition in 0..<3 {
            let taken = try await client.send(["SET", ghost.leaseKey(partition), "ghost", "NX", "PX", String(lease.wholeMilliseconds)])
            #expect(taken == .simpleString("OK"))
        }
        let collector = MessageCollector()
        let firstArrival = FirstArrival()
        let sent = (0..<30).map { OutgoingMessage(id: "m\($0)", key: "k\($0)", body: "k\($0) \($0)") }
        let ready = MessageCollector()
        let live = subscriber("live", partitions: 3, claimIdle: claimIdle, ready: ready)
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask {
                try await live.subscribe(topic: topic) { message in
                    firstArrival.note()
                    collector.add(message)
                }
            }
            await ready.wait(for: 1)
            try await RedisStreamsPublisher(client: client, partitions: 3).publish(sent, topic: topic)
            await Self.waitForAll(collector, Set(sent.map(\.body)))
            group.cancelAll()
            try? await group.waitForAll()
        }
        // Nothing was read while the ghost's leases were valid; then the live member took over.
        let first = try #require(firstArrival.instant)
        #expect(first - ghostDied >= lease - .milliseconds(100))
        #expect(Set(collector.consumers.values.flatMap { $0 }) == [""])
        await client.close()
    }
}

/// When the first message arrived.
final class FirstArrival: Sendable {
    private let value = Mutex<ContinuousClock.Instant?>(nil)
    func note() { value.withLock { $0 = $0 ?? .now } }
    var instant: ContinuousClock.Instant? { value.withLock { $0 } }
}
