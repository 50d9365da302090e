import Foundation
import Logging
import Outbox
import ServiceLifecycle

/// An `Idempotency-Key` request header with what identifies the request it came with.
public struct IdempotencyKey: Sendable, Equatable {
    /// Longest accepted key.
    public static let maxLength = 255

    public var key: String
    /// The request, canonicalised (the parsed order as sorted JSON): the same order sent again matches
    /// even with other white space or member order.
    public var fingerprint: String
    /// How long the key is remembered.
    public var ttl: Duration

    public init(key: String, fingerprint: String, ttl: Duration) {
        self.key = key
        self.fingerprint = fingerprint
        self.ttl = ttl
    }

    /// Validates the header (1–255 visible ASCII characters) and fingerprints `order`.
    public static func parse(header: String, order: NewPizzaOrder, ttl: Duration) throws(PizzaShopError) -> IdempotencyKey {
        guard !header.isEmpty, header.count <= maxLength, header.unicodeScalars.allSatisfy({ (0x21...0x7E).contains($0.value) }) else {
            throw PizzaShopError.invalidParameter("Idempotency-Key", "Idempotency-Key must be 1 to \(maxLength) visible ASCII characters")
        }
        let fingerprint: String
        do {
            fingerprint = String(decoding: try PizzaJSON.encoder().encode(order), as: UTF8.self)
        } catch {
            throw PizzaShopError(.internalError, "the order could not be encoded", underlying: error)
        }
        return IdempotencyKey(key: header, fingerprint: fingerprint, ttl: ttl)
    }

    /// The refusal for a key already used with another request (HTTP 409).
    package static func reused(_ key: String) -> PizzaShopError {
        PizzaShopError(
            .idempotencyKeyReused,
            "Idempotency-Key \(key) was already used with a different request",
            field: "Idempotency-Key"
        )
    }
}

/// What `create` made of a request: the order, its event, and whether it is a replay of an earlier
/// request with the same idempotency key (then nothing new was written).
public struct CreatedOrder: Sendable, Equatable {
    public var order: PizzaOrder
    public var eventID: UUID
    public var replayed: Bool

    public init(order: PizzaOrder, eventID: UUID, replayed: Bool) {
        self.order = order
        self.eventID = eventID
        self.replayed = replayed
    }
}

/// Forgets expired idempotency keys every `interval` (expired keys are already ignored; this keeps
/// the table small).
public struct IdempotencyKeyJanitor: Service {
    let repository: any PizzaOrderRepository
    let ttl: Duration
    let interval: Duration
    let logger: Logger

    public init(repository: any PizzaOrderRepository, ttl: Duration, interval: Duration = .seconds(600), logger: Logger) {
        self.repository = repository
        self.ttl = ttl
        self.interval = interval
        self.logger = logger
    }

    public func run() async throws {
        await everyInterval(interval) {
            do {
                let purged = try await repository.purgeIdempotencyKeys(olderThan: ttl)
                if purged > 0 { logger.debug("expired idempotency keys forgotten", metadata: ["idempotency.purged": "\(purged)"]) }
            } catch {
                logger.info("forgetting expired idempotency keys failed", metadata: ["error": "\(String(reflecting: error))"])
            }
        }
    }
}
