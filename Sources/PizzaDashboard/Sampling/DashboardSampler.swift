import Foundation
import Logging
import Outbox
import PizzaShop
import ServiceLifecycle
import Synchronization

/// Reads the system once a second — one statement on the outbox's database, one on the consumers'
/// (when given), one pipeline to the broker — and keeps the last `capacity` samples in memory for
/// the overview's charts. Pages that listen get each sample as it is taken.
public final class DashboardSampler: Service, Sendable {
    /// Samples kept: 15 minutes at one a second.
    public static let defaultCapacity = 900
    /// Counts stop here; a larger backlog shows as "at least".
    public static let countLimit = 100_000

    let sources: DashboardSources
    let interval: Duration
    let capacity: Int
    let logger: Logger

    struct Cursor {
        var lastSeq: Int64?
        var lastPosition: Int64?
        var published: Int?
        var time: Double?
    }

    struct State {
        var samples: [DashboardSample] = []
        var listeners: [UInt64: AsyncStream<DashboardSample>.Continuation] = [:]
        var nextListener: UInt64 = 0
        var cursor = Cursor()
        var stopped = false
    }

    private let state = Mutex(State())

    /// A sampler of `sources` every `interval`.
    public init(sources: DashboardSources, interval: Duration = .seconds(1), capacity: Int = defaultCapacity, logger: Logger) {
        self.sources = sources
        self.interval = interval
        self.capacity = max(1, capacity)
        self.logger = logger
    }

    /// The kept samples, oldest first.
    public var samples: [DashboardSample] { state.withLock { $0.samples } }

    /// The newest sample, nil before the first.
    public var latest: DashboardSample? { state.withLock { $0.samples.last } }

    /// Every sample from now on, until the sampler stops or the caller stops listening.
    public func updates() -> AsyncStream<DashboardSample> {
        let (stream, continuation) = AsyncStream.makeStream(of: DashboardSample.self, bufferingPolicy: .bufferingNewest(4))
        let id = state.withLock { state -> UInt64? in
            guard !state.stopped else { return nil }
            state.nextListener += 1
            state.listeners[state.nextListener] = continuation
            return state.nextListener
        }
        guard let id else {
            continuation.finish()
            return stream
        }
        continuation.onTermination = { [weak self] _ in
            _ = self?.state.withLock { $0.listeners.removeValue(forKey: id) }
        }
        return stream
    }

    /// Samples every interval until graceful shutdown, then ends every listener's stream.
    public func run() async throws {
        // Listeners end with the sampler, so that open event streams let the server stop.
        defer {
            let listeners = state.withLock { state in
                state.stopped = true
                return Array(state.listeners.values)
            }
            for listener in listeners { listener.finish() }
        }
        await cancelWhenGracefulShutdown {
            while !Task.isCancelled {
                await self.sampleOnce()
                try? await Task.sleep(for: self.interval)
            }
        }
    }

    /// Takes one sample now and hands it to listeners.
    @discardableResult
    public func sampleOnce() async -> DashboardSample {
        let cursor = state.withLock { $0.cursor }
        let now = Date().timeIntervalSince1970
        var errors: [String] = []
        var sample = DashboardSample(
            time: now,
            pending: 0,
            failed: 0,
            completed: 0,
            completedIsEstimate: false,
            countLimit: Self.countLimit,
            effects: 0,
            groups: [],
            errors: []
        )
        var next = Cursor(lastSeq: cursor.lastSeq, lastPosition: cursor.lastPosition, published: cursor.published, time: now)
        let elapsed = cursor.time.map { max(0.001, now - $0) }

        do {
            let activity = try await sources.store.activity(afterSeq: cursor.lastSeq, countLimit: Self.countLimit)
            sample.pending = activity.pending
            sample.failed = activity.failed
            sample.completed = activity.completed
            sample.completedIsEstimate = activity.totalIsEstimate
            sample.oldestPendingAgeSeconds = activity.oldestPendingAgeSeconds
            if let elapsed, cursor.lastSeq != nil {
                sample.ordersPerSecond = Double(activity.newEvents[PizzaOrder.createdEventType] ?? 0) / elapsed
                sample.eventsPerSecond = Double(activity.newEvents.values.reduce(0, +)) / elapsed
            }
            next.lastSeq = activity.lastSeq
        } catch {
            errors.append("outbox: \(error)")
        }

        if let monitor = sources.monitor {
            do {
                let topic = try await monitor.state(topic: sources.topic)
                if let elapsed, let published = cursor.published {
                    sample.publishedPerSecond = Double(max(0, topic.published - published)) / elapsed
                }
                next.published = topic.published
                sample.groups = topic.groups.map {
                    .init(name: $0.name, delivered: $0.delivered, lag: $0.lag, pending: $0.pending, members: $0.members, idleSeconds: $0.idleSeconds)
                }
            } catch {
                errors.append("broker: \(error)")
            }
        }

        if let effects = sources.effects {
            do {
                let recent = try await effects.recentEffects(afterPosition: cursor.lastPosition, limit: 20_000)
                next.lastPosition = recent.lastPosition
                let all = recent.latencies.values.joined().sorted()
                sample.effects = all.count
                sample.latencyP50 = DashboardSample.quantile(all, 0.5)
                sample.latencyP99 = DashboardSample.quantile(all, 0.99)
                for (group, values) in recent.latencies {
                    let sorted = values.sorted()
                    if let index = sample.groups.firstIndex(where: { $0.name == group }) {
                        sample.groups[index].latencyP50 = DashboardSample.quantile(sorted, 0.5)
                        sample.groups[index].latencyP99 = DashboardSample.quantile(sorted, 0.99)
                    } else {
                        sample.groups.append(
                            .init(
                                name: group,
                                delivered: nil,
                                lag: nil,
                                pending: 0,
                                members: 0,
                                idleSeconds: nil,
                                latencyP50: DashboardSample.quantile(sorted, 0.5),
                                latencyP99: DashboardSample.quantile(sorted, 0.99)
                            )
                        )
                    }
                }
                sample.groups.sort { $0.name < $1.name }
            } catch {
                errors.append("consumer database: \(error)")
            }
        }
        sample.errors = errors
        // A sample cut short by shutdown is not worth a warning.
        if !errors.isEmpty, !Task.isCancelled { logger.warning("dashboard sample incomplete", metadata: ["errors": "\(errors)"]) }

        let listeners = state.withLock { state in
            state.cursor = next
            state.samples.append(sample)
            if state.samples.count > capacity { state.samples.removeFirst(state.samples.count - capacity) }
            return Array(state.listeners.values)
        }
        for listener in listeners { listener.yield(sample) }
        return sample
    }

    /// Consumer groups as the latest sample knows them, else the configured ones.
    public var groups: [String] {
        let known = latest?.groups.map(\.name) ?? []
        return known.isEmpty ? sources.groups : Array(Set(known + sources.groups)).sorted()
    }
}
