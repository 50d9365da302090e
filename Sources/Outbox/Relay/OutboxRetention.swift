import Foundation
import Logging
import ServiceLifecycle

/// Deletes completed events older than `retention`, in small batches so no transaction is long and
/// the table stays bounded under continuous load. Every relay may run one; the store lets only one
/// purge at a time.
public struct OutboxRetention: Service {
    /// How long completed events are kept after publication.
    public var retention: Duration
    /// Time between purge rounds.
    public var interval: Duration
    /// Most rows deleted per transaction.
    public var batchSize: Int
    let store: any OutboxStore
    let logger: Logger

    /// Deletes events completed longer than `retention` ago, `batchSize` rows per transaction, every `interval`.
    public init(store: any OutboxStore, retention: Duration, interval: Duration = .seconds(60), batchSize: Int = 1_000, logger: Logger) {
        precondition(batchSize > 0, "batchSize must be positive")
        self.store = store
        self.retention = retention
        self.interval = interval
        self.batchSize = batchSize
        self.logger = logger
    }

    /// Runs a round every `interval` until graceful shutdown; a failed round is logged and retried next time.
    public func run() async throws {
        await everyInterval(interval) {
            do {
                try await purgeOnce()
            } catch {
                // The next round tries again; the relay reports outages of its own.
                logger.info("outbox retention failed", metadata: ["error": "\(String(reflecting: error))"])
            }
        }
    }

    /// One round: batches until nothing old is left, another purger holds the lock, or shutdown.
    /// Returns the number of events deleted.
    @discardableResult
    public func purgeOnce(now: Date = Date()) async throws -> Int {
        let cutoff = now.addingTimeInterval(-retention.seconds)
        var total = 0
        while !Task.isShuttingDownGracefully && !Task.isCancelled {
            guard let deleted = try await store.purgeCompleted(publishedBefore: cutoff, limit: batchSize) else {
                logger.debug("outbox retention skipped: another relay is purging")
                break
            }
            total += deleted
            if deleted < batchSize { break }
        }
        if total > 0 {
            logger.info(
                "outbox retention deleted completed events",
                metadata: [
                    "outbox.retention.deleted": "\(total)", "outbox.retention.cutoff": "\(RFC3339.format(cutoff))",
                ]
            )
        }
        return total
    }
}
