import Foundation
import Logging
import Metrics
import ServiceLifecycle
import Synchronization
import Tracing

/// The step run on each claimed event before it is published (the pizza shop's payment and
/// delivery); throwing schedules a retry.
public typealias ProcessingStep = @Sendable (OutboxEvent) async throws -> Void

/// The background job: claims due events, runs the processing step concurrently across the batch,
/// publishes the survivors pipelined, and reports every outcome back to the store.
///
/// A crash between publish and mark leaves the events pending under an expiring lease, so they are
/// published again: delivery is at-least-once and consumers de-duplicate by event id. A failing
/// processing step costs the event an attempt; an unreachable broker does not (the relay backs off
/// instead), so an outage never parks events as failed.
public final class Relay: Service, Sendable {
    private let store: any OutboxStore
    private let publisher: any MessagePublisher
    private let wakeUp: WakeUpSignal?
    private let configuration: RelayConfiguration
    private let process: ProcessingStep
    private let logger: Logger
    private let metrics: RelayMetrics
    private let batchesStarted = Mutex<[Int: ContinuousClock.Instant]>([:])
    private let outageAttempts = Mutex(0)
    /// Raised by a lane whose batch was full: the other lanes join in while a backlog lasts, and
    /// otherwise leave the wake-ups to the first lane (one claim per commit, not one per lane).
    private let backlog = WakeUpSignal()

    /// How long the oldest batch in flight has been running, or nil between batches. A batch that
    /// outlives its lease is stuck (its events are claimed again by other relays); a watchdog can act on it.
    public var currentBatchAge: Duration? {
        batchesStarted.withLock { started in started.values.min().map { ContinuousClock.now - $0 } }
    }

    /// The lease every claim takes; batches must finish well within it.
    public var leaseDuration: Duration { configuration.leaseDuration }

    /// A relay from `store` to `publisher`, woken by `wakeUp` (and polling), running `process` on each event before it is published.
    public init(
        store: any OutboxStore,
        publisher: any MessagePublisher,
        wakeUp: WakeUpSignal? = nil,
        configuration: RelayConfiguration,
        logger: Logger,
        process: @escaping ProcessingStep = { _ in }
    ) {
        self.store = store
        self.publisher = publisher
        self.wakeUp = wakeUp
        self.configuration = configuration
        self.process = process
        self.logger = logger
        self.metrics = RelayMetrics()
    }

    /// Runs batches until graceful shutdown; the batches in flight are finished first.
    public func run() async throws {
        logger.info(
            "relay started",
            metadata: [
                "outbox.relay.owner": "\(configuration.owner)",
                "outbox.topic": "\(configuration.topic)",
                "outbox.batch_size": "\(configuration.batchSize)",
                "outbox.concurrent_batches": "\(configuration.concurrentBatches)",
            ]
        )
        await withTaskGroup(of: Void.self) { group in
            for lane in 0..<configuration.concurrentBatches {
                group.addTask { await self.runLane(lane) }
            }
        }
        logger.info("relay stopped", metadata: ["outbox.relay.owner": "\(configuration.owner)"])
    }

    /// One batch after another until graceful shutdown.
    private func runLane(_ lane: Int) async {
        // Events this lane published and has not marked yet: the next claim marks them in the same
        // statement, or, if no commit comes within `markDelay`, they are marked alone.
        var unmarked: [UUID] = []
        while !Task.isShuttingDownGracefully && !Task.isCancelled {
            do {
                let (handled, published) = try await trackedBatch(lane, marking: unmarked)
                unmarked = published
                // Only a batch that published proves the outage over (an empty one never reached the broker).
                let recovered =
                    handled == 0
                    ? 0
                    : outageAttempts.withLock { attempts in
                        defer { attempts = 0 }
                        return attempts
                    }
                if recovered > 0 {
                    logger.info("relay recovered", metadata: ["outbox.outage.attempts": "\(recovered)"])
                }
                if handled >= configuration.batchSize {
                    // A full batch means more is probably due: claim again at once, and bring in the
                    // other lanes, which wait while the first keeps up.
                    backlog.signal()
                } else {
                    // The first lane answers commits; the others wait for a backlog.
                    let signal = lane == 0 ? wakeUp : backlog
                    var woken = false
                    if !unmarked.isEmpty {
                        woken = await idle(for: configuration.markDelay, on: signal)
                        if !woken {
                            try await store.complete(unmarked.map { .published(id: $0) }, owner: configuration.owner)
                            unmarked = []
                        }
                    }
                    if !woken { woken = await idle(for: configuration.pollInterval, on: signal) }
                    if woken, lane == 0, configuration.linger > .zero {
                        // Let the commits right behind this one join its batch.
                        await sleepUnlessShuttingDown(configuration.linger)
                    }
                }
            } catch {
                // Consecutive failed batches of the whole relay: every lane backs off further.
                let outageAttempts = outageAttempts.withLock { attempts in
                    attempts += 1
                    return attempts
                }
                let delay = configuration.outageBackoff.delay(afterAttempt: outageAttempts)
                // One line per backoff step: an outage does not flood the log.
                logger.info(
                    "relay batch failed, backing off",
                    metadata: [
                        "outbox.outage.attempts": "\(outageAttempts)",
                        "outbox.backoff.seconds": "\(String(format: "%.2f", delay.seconds))",
                        "error": "\(String(reflecting: error))",
                    ]
                )
                await sleepUnlessShuttingDown(delay)
            }
        }
        guard !unmarked.isEmpty else { return }
        do {
            try await store.complete(unmarked.map { .published(id: $0) }, owner: configuration.owner)
        } catch {
            // Their lease expires instead, and another relay publishes them again (the inboxes drop the repeats).
            logger.warning(
                "relay could not mark its last published events at shutdown",
                metadata: ["outbox.events": "\(unmarked.count)", "error": "\(String(reflecting: error))"]
            )
        }
    }

    /// `runBatch`, with its start time visible in `currentBatchAge` while it runs.
    private func trackedBatch(_ lane: Int, marking: [UUID]) async throws -> (handled: Int, unmarked: [UUID]) {
        batchesStarted.withLock { $0[lane] = .now }
        defer { batchesStarted.withLock { $0[lane] = nil } }
        return try await runBatch(marking: marking, deferMarks: configuration.markDelay > .zero)
    }

    /// Claims, processes, publishes and marks one batch; returns how many events it handled.
    @discardableResult
    public func runBatch() async throws -> Int {
        try await runBatch(marking: [], deferMarks: false).handled
    }

    /// One batch. The claim first marks `marking` (published events of the lane's earlier batch).
    /// With `deferMarks`, a batch whose every event was published is left unmarked and its ids are
    /// returned, for the next claim to mark; any other outcome is stored at once.
    private func runBatch(marking: [UUID], deferMarks: Bool) async throws -> (handled: Int, unmarked: [UUID]) {
        let started = ContinuousClock.now
        let batch =
            marking.isEmpty
            ? try await store.claim(limit: configuration.batchSize, owner: configuration.owner, leaseDuration: configuration.leaseDuration)
            : try await store.markPublishedAndClaim(
                marking,
                owner: configuration.owner,
                limit: configuration.batchSize,
                leaseDuration: configuration.leaseDuration
            )
        guard !batch.events.isEmpty else { return (0, []) }
        let claimed = ContinuousClock.now

        let stepFailures = await runProcessingStep(batch.events)
        let processed = ContinuousClock.now
        let ready = batch.events.filter { stepFailures[$0.id] == nil }
        let (confirmed, publishError) = await publishTraced(ready)
        let publishedAt = ContinuousClock.now

        var outcomes: [DeliveryOutcome] = []
        outcomes.reserveCapacity(batch.events.count)
        var allPublished = true
        for event in batch.events {
            if let failure = stepFailures[event.id] {
                outcomes.append(failure)
                allPublished = false
            } else if let publishError {
                // The broker, not the event, failed: hand the event back uncounted.
                outcomes.append(.released(id: event.id, error: "publish: \(publishError)"))
                allPublished = false
            } else if confirmed.contains(event.id.uuidString.lowercased()) {
                outcomes.append(.published(id: event.id))
            } else {
                // Sent, but not confirmed durable (too few replicas): sent again later, uncounted.
                outcomes.append(.released(id: event.id, error: "publish: not confirmed by the broker's replicas"))
                allPublished = false
            }
        }
        var unmarked: [UUID] = []
        if deferMarks && allPublished {
            unmarked = outcomes.map(\.id)
        } else {
            try await store.complete(outcomes, owner: batch.owner)
        }
        record(
            outcomes,
            batchSize: batch.events.count,
            times: BatchTimes(
                started: started,
                claimed: claimed,
                processed: processed,
                published: publishedAt,
                marked: .now
            )
        )

        if let publishError {
            // Surface it so the loop backs off (growing) instead of spinning on the outage.
            throw publishError
        }
        return (batch.events.count, unmarked)
    }

    /// Publishes `events` as one batch, traced by the messaging conventions: a `create` span per
    /// event in the event's own trace (its context is what the envelope carries to consumers), and
    /// one `send` span for the broker call, linked to each of them — a batch has no single parent.
    /// Returns the confirmed event ids, or the error that stopped the whole batch.
    private func publishTraced(_ events: [OutboxEvent]) async -> (confirmed: Set<String>, error: (any Error)?) {
        guard !events.isEmpty else { return ([], nil) }
        let topic = configuration.topic
        let system = publisher.messagingSystem
        var spans: [any Span] = []
        spans.reserveCapacity(events.count)
        let messages = events.map { event in
            let id = event.id.uuidString.lowercased()
            let span = startSpan(
                MessagingSpans.name(.create, destination: topic),
                context: .continuing(headers: event.headers),
                ofKind: .producer
            )
            if span.isRecording {
                // Only spans that are recorded get attributes: building them costs allocations.
                var attributes = MessagingSpans.attributes(.create, system: system, destination: topic)
                attributes[MessagingSpans.messageID] = id
                span.attributes = attributes
            }
            spans.append(span)
            var traced = event
            // Without a tracer the producer's own traceparent goes on unchanged.
            traced.headers.merge(span.context.traceHeaders) { $1 }
            return OutgoingMessage(id: id, key: event.aggregateID, body: Envelope.encode(traced, source: configuration.source))
        }
        defer { for span in spans { span.end() } }
        return await withSpan(MessagingSpans.name(.send, destination: topic), context: .topLevel, ofKind: .client) { send in
            if send.isRecording {
                var attributes = MessagingSpans.attributes(.send, system: system, destination: topic)
                attributes[MessagingSpans.batchMessageCount] = messages.count
                send.attributes = attributes
                for span in spans { send.addLink(SpanLink(context: span.context, attributes: [:])) }
            }
            do {
                let confirmed = try await publisher.publishConfirmed(messages, topic: topic)
                if confirmed.isEmpty {
                    // Nothing confirmed (no replica answered, say): an outage, backed off like one.
                    throw OutboxError(code: .publishNotConfirmed, message: "the broker confirmed none of \(messages.count) messages")
                }
                await configuration.afterPublish?(events.filter { confirmed.contains($0.id.uuidString.lowercased()) })
                return (confirmed, nil)
            } catch {
                for span in spans + [send] { span.markFailed(error) }
                return ([], error)
            }
        }
    }

    /// Runs the processing step on every event at once, each in an `outbox.process` span of its
    /// event's trace. Returns the outcome of each event whose step failed: retried later or parked.
    private func runProcessingStep(_ events: [OutboxEvent]) async -> [UUID: DeliveryOutcome] {
        await withTaskGroup(of: (UUID, DeliveryOutcome?).self) { group in
            for event in events {
                group.addTask { [process] in
                    await withSpan("outbox.process", context: .continuing(headers: event.headers)) { span in
                        if span.isRecording {
                            span.attributes["outbox.event.id"] = event.id.uuidString.lowercased()
                            span.attributes["outbox.event.type"] = event.eventType
                            span.attributes["outbox.event.attempt"] = event.attempts + 1
                        }
                        do {
                            try await process(event)
                            return (event.id, nil)
                        } catch {
                            span.markFailed(error)
                            return (event.id, self.failure(of: event, error: error, span: span))
                        }
                    }
                }
            }
            var failures: [UUID: DeliveryOutcome] = [:]
            for await (id, failure) in group {
                if let failure { failures[id] = failure }
            }
            return failures
        }
    }

    /// The outcome of a failed step: a retry after backoff, or parked after the last attempt. The
    /// decision is logged inside the step's span (so the line carries its trace) and recorded on it.
    private func failure(of event: OutboxEvent, error: any Error, span: any Span) -> DeliveryOutcome {
        let message = "\(error)"
        let attempts = event.attempts + 1
        var metadata: Logger.Metadata = [
            "outbox.event.id": "\(event.id.uuidString.lowercased())",
            "outbox.aggregate.id": "\(event.aggregateID)",
            "outbox.event.attempts": "\(attempts)",
            "error": "\(message)",
        ]
        if configuration.retryPolicy.isExhausted(afterAttempts: attempts) {
            logger.info("event failed permanently", metadata: metadata)
            span.addEvent(SpanEvent(name: "outbox.event.parked", attributes: ["outbox.event.attempts": .int64(Int64(attempts))]))
            return .failed(id: event.id, error: message, retryAt: nil)
        }
        let delay = configuration.retryPolicy.delay(afterAttempt: attempts)
        metadata["outbox.backoff.seconds"] = "\(String(format: "%.2f", delay.seconds))"
        logger.info("event will be retried", metadata: metadata)
        span.addEvent(
            SpanEvent(
                name: "outbox.event.retry_scheduled",
                attributes: ["outbox.event.attempts": .int64(Int64(attempts)), "outbox.backoff.seconds": .double(delay.seconds)]
            )
        )
        return .failed(id: event.id, error: message, retryAt: Date().addingTimeInterval(delay.seconds))
    }

    /// When one batch reached each step.
    private struct BatchTimes {
        var started, claimed, processed, published, marked: ContinuousClock.Instant

        static func milliseconds(_ from: ContinuousClock.Instant, _ to: ContinuousClock.Instant) -> String {
            String(format: "%.2f", (to - from).seconds * 1000)
        }
    }

    private func record(_ outcomes: [DeliveryOutcome], batchSize: Int, times: BatchTimes) {
        var published = 0
        var retried = 0
        var parked = 0
        var released = 0
        for outcome in outcomes {
            switch outcome {
            case .published: published += 1
            case .failed(_, _, .some): retried += 1
            case .failed(_, _, .none): parked += 1
            case .released: released += 1
            }
        }
        metrics.released.increment(by: released)
        if released > 0, released < outcomes.count {
            // Published but unconfirmed (too few replicas): they go out again with a later batch.
            logger.info("events not confirmed by the broker's replicas; they are published again", metadata: ["outbox.batch.released": "\(released)"])
        }
        metrics.published.increment(by: published)
        metrics.retried.increment(by: retried)
        metrics.failed.increment(by: parked)
        metrics.batchSize.record(batchSize)
        metrics.batchDuration.recordNanoseconds((times.marked - times.started).nanoseconds)
        logger.debug(
            "batch done",
            metadata: [
                "outbox.batch.claim_ms": "\(BatchTimes.milliseconds(times.started, times.claimed))",
                "outbox.batch.process_ms": "\(BatchTimes.milliseconds(times.claimed, times.processed))",
                "outbox.batch.publish_ms": "\(BatchTimes.milliseconds(times.processed, times.published))",
                "outbox.batch.mark_ms": "\(BatchTimes.milliseconds(times.published, times.marked))",
                "outbox.batch.size": "\(batchSize)",
                "outbox.batch.published": "\(published)",
                "outbox.batch.retried": "\(retried)",
                "outbox.batch.failed": "\(parked)",
            ]
        )
    }
}
