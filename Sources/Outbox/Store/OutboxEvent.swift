import Foundation

/// The lifecycle of an outbox row; the raw values are what the tables store (as in the seed).
public enum OutboxStatus: String, Sendable, Codable, CaseIterable {
    case pending
    case completed
    case failed
}

/// An event to be written to the outbox in the caller's transaction.
public struct NewOutboxEvent: Sendable, Equatable {
    /// Event id: also the CloudEvents id and the consumer's inbox key.
    public var id: UUID
    /// Kind of entity the event is about, e.g. `PizzaOrder`.
    public var aggregateType: String
    /// Id of that entity; events of one aggregate are delivered in commit order.
    public var aggregateID: String
    /// Event type, e.g. `PizzaOrderCreated`.
    public var eventType: String
    /// The event's JSON payload, as UTF-8 text.
    public var payload: String
    /// Transport headers such as `traceparent`.
    public var headers: [String: String]
    /// When the event happened.
    public var occurredAt: Date

    /// An event to write in the application's transaction; a new id unless one is given.
    public init(
        id: UUID = UUID(),
        aggregateType: String,
        aggregateID: String,
        eventType: String,
        payload: String,
        headers: [String: String] = [:],
        occurredAt: Date = Date()
    ) {
        self.id = id
        self.aggregateType = aggregateType
        self.aggregateID = aggregateID
        self.eventType = eventType
        self.payload = payload
        self.headers = headers
        self.occurredAt = occurredAt
    }
}

/// An event as stored in the outbox, with its delivery bookkeeping.
public struct OutboxEvent: Sendable, Equatable, Identifiable {
    /// The event id: also the envelope's `id` and the inbox key.
    public var id: UUID
    /// Store-assigned, strictly increasing commit sequence; orders events of one aggregate.
    public var seq: Int64
    /// The kind of entity the event is about, e.g. `PizzaOrder`.
    public var aggregateType: String
    /// The entity's id; events of one aggregate are delivered in commit order.
    public var aggregateID: String
    /// The event type, e.g. `PizzaOrderCreated`.
    public var eventType: String
    /// The event's JSON payload as stored.
    public var payload: String
    /// Metadata such as `traceparent`.
    public var headers: [String: String]
    /// `pending` until published, then `completed`; `failed` once out of attempts.
    public var status: OutboxStatus
    /// Failed delivery attempts so far.
    public var attempts: Int
    /// The error of the last failed attempt.
    public var lastError: String?
    /// The event is not claimed before this time (retry backoff).
    public var availableAt: Date
    /// When the event was committed.
    public var createdAt: Date
    /// When the relay marked it completed.
    public var publishedAt: Date?
    /// The event of the same aggregate committed just before this one, as a claim saw it (nil for an
    /// aggregate's first event, for one whose predecessor retention deleted, and outside claims).
    /// Travels as the envelope's `previousid`, so consumers can apply each aggregate's events in order.
    public var previousID: UUID?

    /// An event as a store read it.
    public init(
        id: UUID,
        seq: Int64,
        aggregateType: String,
        aggregateID: String,
        eventType: String,
        payload: String,
        headers: [String: String],
        status: OutboxStatus,
        attempts: Int,
        lastError: String?,
        availableAt: Date,
        createdAt: Date,
        publishedAt: Date?,
        previousID: UUID? = nil
    ) {
        self.id = id
        self.seq = seq
        self.aggregateType = aggregateType
        self.aggregateID = aggregateID
        self.eventType = eventType
        self.payload = payload
        self.headers = headers
        self.status = status
        self.attempts = attempts
        self.lastError = lastError
        self.availableAt = availableAt
        self.createdAt = createdAt
        self.publishedAt = publishedAt
        self.previousID = previousID
    }
}
