/// What a broker promises; conformance suites and callers switch on these rather than on types.
public struct BrokerCapabilities: OptionSet, Sendable, CustomStringConvertible {
    /// The set bits.
    public let rawValue: Int
    /// A set from its bits.
    public init(rawValue: Int) { self.rawValue = rawValue }

    /// Messages outlive the absence of subscribers and broker restarts.
    public static let persistent = BrokerCapabilities(rawValue: 1 << 0)
    /// Each named group receives every message; within a group each message goes to one consumer.
    public static let consumerGroups = BrokerCapabilities(rawValue: 1 << 1)
    /// A message that is not acknowledged is delivered again.
    public static let acknowledgements = BrokerCapabilities(rawValue: 1 << 2)

    /// The capabilities by name; `[at-most-once]` when none.
    public var description: String {
        var names: [String] = []
        if contains(.persistent) { names.append("persistent") }
        if contains(.consumerGroups) { names.append("consumerGroups") }
        if contains(.acknowledgements) { names.append("acknowledgements") }
        return names.isEmpty ? "[at-most-once]" : "[\(names.joined(separator: ", "))]"
    }
}

/// A message on its way to a broker.
public struct OutgoingMessage: Sendable, Equatable {
    /// Idempotency key of the message (the event id).
    public var id: String
    /// Ordering key (the aggregate id).
    public var key: String
    /// The encoded envelope.
    public var body: String

    /// A message with its idempotency key, ordering key and encoded body.
    public init(id: String, key: String, body: String) {
        self.id = id
        self.key = key
        self.body = body
    }
}

/// A message as a subscriber receives it.
public struct IncomingMessage: Sendable, Equatable {
    /// The broker's id for this delivery (a stream entry id, or a local counter).
    public var brokerID: String
    /// The encoded envelope.
    public var body: String
    /// How many times the broker has delivered this message (1 on first delivery, when known).
    public var deliveryCount: Int

    /// A delivery as the broker handed it over.
    public init(brokerID: String, body: String, deliveryCount: Int = 1) {
        self.brokerID = brokerID
        self.body = body
        self.deliveryCount = deliveryCount
    }
}

/// Sends messages to a topic.
public protocol MessagePublisher: Sendable {
    /// What the broker promises to the subscribers of what this publishes.
    var capabilities: BrokerCapabilities { get }
    /// Publishes the batch in order. Returns once the broker has accepted every message; throws
    /// if it cannot confirm all of them, in which case the caller treats the whole batch as unsent.
    func publish(_ messages: [OutgoingMessage], topic: String) async throws

    /// Publishes the batch in order and returns the ids of the messages the broker confirmed as
    /// durable; the others may or may not have reached it and are to be sent again. Throws, like
    /// `publish`, when it cannot tell for any. The relay marks only the confirmed ones published.
    func publishConfirmed(_ messages: [OutgoingMessage], topic: String) async throws -> Set<String>

    /// The broker's name as OpenTelemetry's `messaging.system` (`redis`, `memory`), for spans.
    var messagingSystem: String { get }
}

extension MessagePublisher {
    /// `unknown`, for a publisher that does not name its broker.
    public var messagingSystem: String { "unknown" }

    /// All or nothing: `publish`, then every message counts as confirmed.
    public func publishConfirmed(_ messages: [OutgoingMessage], topic: String) async throws -> Set<String> {
        try await publish(messages, topic: topic)
        return Set(messages.map(\.id))
    }
}

/// Receives messages of a topic.
public protocol MessageSubscriber: Sendable {
    /// What the broker promises this subscriber: redelivery, groups, persistence.
    var capabilities: BrokerCapabilities { get }
    /// Delivers messages to `handler` until the task is cancelled, reconnecting as needed. A handler
    /// that returns acknowledges the message; one that throws leaves it for redelivery where the
    /// broker supports acknowledgements.
    func subscribe(
        topic: String,
        handler: @escaping @Sendable (IncomingMessage) async throws -> Void
    ) async throws

    /// Delivers messages in the batches the broker hands out together, so a consumer can apply many
    /// in one transaction. `handler` returns the broker ids of the messages it accepted: those are
    /// acknowledged, the others are not (and are delivered again where the broker supports
    /// acknowledgements). A handler that throws accepts none of its batch.
    func subscribe(
        topic: String,
        batchHandler: @escaping @Sendable ([IncomingMessage]) async throws -> Set<String>
    ) async throws

    /// The broker's name as OpenTelemetry's `messaging.system` (`redis`, `memory`), for spans.
    var messagingSystem: String { get }
}

extension MessageSubscriber {
    /// `unknown`, for a subscriber that does not name its broker.
    public var messagingSystem: String { "unknown" }

    /// Batches of one over `subscribe(topic:handler:)`, for brokers that deliver one message at a time.
    public func subscribe(
        topic: String,
        batchHandler: @escaping @Sendable ([IncomingMessage]) async throws -> Set<String>
    ) async throws {
        try await subscribe(topic: topic) { message in
            guard try await batchHandler([message]).contains(message.brokerID) else {
                throw OutboxError.notAccepted(message)
            }
        }
    }
}

extension OutboxError {
    /// The refusal of a message that a batch handler did not accept.
    public static func notAccepted(_ message: IncomingMessage) -> OutboxError {
        OutboxError(code: .messageNotAccepted, message: "message \(message.brokerID) was not accepted by its handler")
    }
}
