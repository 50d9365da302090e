import Foundation
import Logging
import Outbox
import ServiceLifecycle
import Synchronization
import Tracing

/// The consumer API's background half: subscribes to the topic, applies each event once and in
/// order per order through the inbox (when a recorder is given), logs one line per event and keeps
/// what arrived for the HTTP view. A failed effect throws, so brokers with acknowledgements deliver
/// the event again. Stops on graceful shutdown.
///
/// Several consumers of one group may hold events of one order at once. An event whose previous
/// event (`previousid`) has not taken effect yet waits in place for up to `ordering.wait`, then is
/// left to the broker's redelivery. One whose previous event never arrives — it was published
/// before the group existed — is applied anyway once this consumer has seen it for `ordering.gapTimeout`.
public struct EventConsumer: Service {
    /// How long events wait for their order's previous event.
    public struct Ordering: Sendable {
        /// Waiting in place (retrying with backoff) before handing the event back to the broker.
        public var wait: Duration
        /// After this long since first seen, the event is applied without its previous event.
        public var gapTimeout: Duration

        public init(wait: Duration = .seconds(5), gapTimeout: Duration = .seconds(300)) {
            self.wait = wait
            self.gapTimeout = gapTimeout
        }
    }

    let subscriber: any MessageSubscriber
    let topic: String
    let group: String
    let received: ReceivedEvents
    let recorder: (any DeliveryRecorder)?
    let ordering: Ordering
    let metrics: ShopMetrics
    let waiting = FirstSightings()
    private let handlerStarted = HandlerClock()

    /// How long the message in hand has been handled, or nil between messages. A handler stuck far
    /// longer than any database call takes lets a watchdog restart the process.
    public var currentHandlerAge: Duration? { handlerStarted.age }
    let logger: Logger

    public init(
        subscriber: any MessageSubscriber,
        topic: String,
        group: String = "consumer-api",
        received: ReceivedEvents,
        recorder: (any DeliveryRecorder)? = nil,
        ordering: Ordering = Ordering(),
        metrics: ShopMetrics = .disabled,
        logger: Logger
    ) {
        self.metrics = metrics
        self.subscriber = subscriber
        self.topic = topic
        self.group = group
        self.received = received
        self.recorder = recorder
        self.ordering = ordering
        var logger = logger
        logger[metadataKey: "consumer.group"] = "\(group)"
        self.logger = logger
    }

    public func run() async throws {
        logger.info(
            "consumer subscribing",
            metadata: [
                "outbox.topic": "\(topic)", "outbox.broker.capabilities": "\(subscriber.capabilities)",
            ]
        )
        try await cancelWhenGracefulShutdown {
            try await subscriber.subscribe(
                topic: topic,
                batchHandler: { messages in
                    await handle(batch: messages)
                }
            )
        }
    }

    /// Applies one read of the broker: every event of it in one inbox transaction where the recorder
    /// allows, and one by one (with the ordering wait) only the events that came too early, or all of
    /// them when the batch failed as a whole. Returns the broker ids to acknowledge.
    func handle(batch messages: [IncomingMessage]) async -> Set<String> {
        handlerStarted.start()
        defer { handlerStarted.stop() }
        var accepted = Set<String>()
        var events: [(message: IncomingMessage, envelope: Envelope)] = []
        for message in messages {
            if let envelope = decode(message) {
                events.append((message, envelope))
            } else {
                accepted.insert(message.brokerID)
            }
        }
        // A `process` span per event, in the trace its envelope carries (the relay's `create` span).
        let spans = events.map { processSpan(for: $0.envelope, body: $0.message.body) }
        defer { for span in spans { span.end() } }
        var outcomes = [InboxOutcome?](repeating: nil, count: events.count)
        if let recorder, events.count > 1 {
            do {
                let checkOrder = events.map { !waiting.hasWaited($0.envelope.id, atLeast: ordering.gapTimeout) }
                // One inbox transaction for the whole read: its span links to each event's `process`
                // span, since it belongs to no single one of their traces.
                let batch = try await withSpan("pizza.inbox.transaction", context: .topLevel, ofKind: .client) { span in
                    if span.isRecording {
                        span.attributes[MessagingSpans.batchMessageCount] = events.count
                        for process in spans { span.addLink(SpanLink(context: process.context, attributes: [:])) }
                    }
                    return try await recorder.record(batch: events.map(\.envelope), group: group, checkOrder: checkOrder)
                }
                for (index, outcome) in batch.enumerated() {
                    // Too early: left to the one-by-one path below, which waits for the previous event.
                    if case .outOfOrder = outcome { continue }
                    outcomes[index] = outcome
                    waiting.forget(events[index].envelope.id)
                }
            } catch {
                logger.info(
                    "batch not applied together; applying its events one by one",
                    metadata: [
                        "consumer.batch.size": "\(events.count)", "error": "\(error)",
                    ]
                )
            }
        }
        for (index, event) in events.enumerated() {
            let span = spans[index]
            do {
                // Inside the span: every log line below carries its trace id, an inbox transaction is its child.
                try await ServiceContext.withValue(span.context) {
                    try await handle(event.envelope, body: event.message.body, outcome: outcomes[index])
                }
                accepted.insert(event.message.brokerID)
            } catch {
                span.markFailed(error)
                logger.info(
                    "event not applied; the broker delivers it again",
                    metadata: [
                        "outbox.event.id": "\(event.envelope.id)", "error": "\(error)",
                    ]
                )
            }
        }
        return accepted
    }

    /// A consumer span for one event, continuing the trace of its envelope.
    private func processSpan(for envelope: Envelope, body: String) -> any Span {
        let span = startSpan(
            MessagingSpans.name(.process, destination: topic),
            context: .continuing(traceparent: envelope.traceparent),
            ofKind: .consumer
        )
        guard span.isRecording else { return span }
        var attributes = MessagingSpans.attributes(.process, system: subscriber.messagingSystem, destination: topic)
        attributes[MessagingSpans.messageID] = envelope.id
        attributes[MessagingSpans.consumerGroup] = group
        attributes[MessagingSpans.bodySize] = body.utf8.count
        span.attributes = attributes
        return span
    }

    /// Applies one message on its own (a batch of one); throws when it is to be delivered again.
    func handle(_ message: IncomingMessage) async throws {
        guard await handle(batch: [message]).contains(message.brokerID) else {
            throw OutboxError.notAccepted(message)
        }
    }

    /// The message's envelope, or nil for one that is not a CloudEvents envelope (kept as received so
    /// it can be inspected, and acknowledged: redelivering it would not help).
    private func decode(_ message: IncomingMessage) -> Envelope? {
        do {
            return try Envelope.decode(message.body)
        } catch {
            received.record(message.body)
            logger.info(
                "message is not a CloudEvents envelope",
                metadata: [
                    "outbox.broker.id": "\(message.brokerID)", "error": "\(error)",
                ]
            )
            return nil
        }
    }

    /// Finishes one event: applies it through the inbox unless `outcome` says it was already, then
    /// counts and logs it.
    private func handle(_ envelope: Envelope, body: String, outcome: InboxOutcome?) async throws {
        metrics.consumerReceived(group: group)
        if let recorder {
            let applied: InboxOutcome
            if let outcome { applied = outcome } else { applied = try await apply(envelope, through: recorder) }
            if case .duplicate(let count) = applied {
                metrics.consumerDuplicate(group: group)
                metrics.consumerAcknowledged(group: group)
                logger.info(
                    "duplicate delivery ignored",
                    metadata: [
                        "outbox.event.id": "\(envelope.id)", "outbox.delivery.count": "\(count)",
                    ]
                )
                return
            }
        }
        metrics.endToEndLatency(group: group, since: envelope.time)
        metrics.consumerAcknowledged(group: group)
        received.record(body)
        let data = envelope.data
        logger.info(
            "event received",
            metadata: [
                "outbox.event.id": "\(envelope.id)",
                "outbox.event.type": "\(envelope.type)",
                "order.id": "\(envelope.subject ?? "-")",
                "order.status": "\(data["to"]?.stringValue ?? data["status"]?.stringValue ?? "-")",
                "order.flavor": "\(data["flavor"]?.stringValue ?? "-")",
                "order.size": "\(data["size"]?.stringValue ?? "-")",
                "order.quantity": "\(data["quantity"]?.numberValue.map { String(Int($0)) } ?? "-")",
            ]
        )
    }

    /// Records the effect once, in order: retries in place while the previous event of the order
    /// has not taken effect or the database fails, for up to `ordering.wait`.
    func apply(_ envelope: Envelope, through recorder: any DeliveryRecorder) async throws -> InboxOutcome {
        let deadline = ContinuousClock.now + ordering.wait
        let firstSeen = waiting.firstSeen(envelope.id)
        var delay = Duration.milliseconds(5)
        var counted = false
        while true {
            let gapExpired = ContinuousClock.now - firstSeen >= ordering.gapTimeout
            do {
                let outcome = try await withSpan("pizza.inbox.transaction", ofKind: .client) { _ in
                    try await recorder.record(envelope, group: group, checkOrder: !gapExpired)
                }
                switch outcome {
                case .processed, .duplicate:
                    waiting.forget(envelope.id)
                    if gapExpired, let previous = envelope.previousid, case .processed = outcome {
                        logger.info(
                            "event applied without its order's previous event",
                            metadata: [
                                "outbox.event.id": "\(envelope.id)", "outbox.event.previous": "\(previous)",
                            ]
                        )
                    }
                    return outcome
                case .outOfOrder(let previous):
                    if !counted {
                        // Once per delivery that has to wait.
                        metrics.consumerOutOfOrder(group: group)
                        counted = true
                    }
                    guard ContinuousClock.now < deadline else {
                        // The broker delivers it again later.
                        metrics.consumerOrderRedelivery(group: group)
                        throw PizzaShopError(.outOfOrder, "event \(envelope.id) waits for its order's previous event \(previous)")
                    }
                }
            } catch let error where (error as? PizzaShopError)?.code != .outOfOrder {
                // The database may be restarting: try again until the deadline, then let the broker redeliver.
                guard ContinuousClock.now < deadline, !Task.isCancelled else { throw error }
            }
            try await Task.sleep(for: delay)
            delay = min(delay * 2, .milliseconds(250))
        }
    }
}

/// When this consumer first saw each event it has not applied yet (the gap timeout's clock).
final class FirstSightings: Sendable {
    private let seen = Mutex<[String: ContinuousClock.Instant]>([:])

    func firstSeen(_ id: String) -> ContinuousClock.Instant {
        seen.withLock { seen in
            if let instant = seen[id] { return instant }
            // Bounded: a flood of events that never apply must not grow memory without end.
            if seen.count >= 100_000 { seen.removeAll() }
            let now = ContinuousClock.now
            seen[id] = now
            return now
        }
    }

    /// Whether `id` was first seen at least `duration` ago (false for an event not seen before).
    func hasWaited(_ id: String, atLeast duration: Duration) -> Bool {
        seen.withLock { seen in seen[id].map { ContinuousClock.now - $0 >= duration } ?? false }
    }

    func forget(_ id: String) {
        _ = seen.withLock { $0.removeValue(forKey: id) }
    }
}

/// When the current message's handling began.
final class HandlerClock: Sendable {
    private let started = Mutex<ContinuousClock.Instant?>(nil)
    func start() { started.withLock { $0 = .now } }
    func stop() { started.withLock { $0 = nil } }
    var age: Duration? { started.withLock { started in started.map { ContinuousClock.now - $0 } } }
}
