import Logging
import Outbox
import RESP

/// One owner per partition in each consumer group, as Kafka's consumer groups give: the members
/// of a group share a topic's partitions through leases kept in Redis.
///
/// Every `renewInterval` (a third of the lease) a member
/// 1. registers in the group's member set, a sorted set scored by expiry in Redis's own clock
///    (`TIME`, so members' clocks do not matter), which also drops members that stopped registering;
/// 2. computes its share: with the live members sorted by name, partition p belongs to member
///    `p mod members`;
/// 3. gives back partitions outside its share — the reader stops first, then the lease is deleted
///    if it is still its own;
/// 4. renews the leases it keeps (`PEXPIRE` only if the lease still names it) and takes the free
///    leases of its share (`SET … NX PX`). A lease held by another member stays theirs until they
///    give it back or stop renewing it: two members never hold one lease at once.
///
/// A member reads a partition only while its lease is valid by its own clock: from when the renewal
/// was sent, for the lease's duration less a safety margin. Lease keys carry their partition's hash
/// tag, so on a cluster each lives on the node of its stream.
actor PartitionLeases {
    struct Settings: Sendable {
        var group: String
        var member: String
        /// How long a lease lasts without renewal.
        var duration: Duration
        var renewInterval: Duration { duration / 3 }
        /// Reading stops this long before the lease would expire.
        var margin: Duration { duration / 5 }
    }

    let redis: any RedisCommandRunner
    let partitions: StreamPartitions
    let settings: Settings
    let logger: Logger
    private var validUntil: [Int: ContinuousClock.Instant] = [:]

    init(redis: any RedisCommandRunner, partitions: StreamPartitions, settings: Settings, logger: Logger) {
        self.redis = redis
        self.partitions = partitions
        self.settings = settings
        self.logger = logger
    }

    var membersKey: String { "\(partitions.topic):members:{\(settings.group)}" }
    func leaseKey(_ partition: Int) -> String { "\(partitions.streams[partition]):owner:\(settings.group)" }

    /// Whether this member may read `partition` now.
    func holds(_ partition: Int) -> Bool {
        guard let until = validUntil[partition] else { return false }
        return ContinuousClock.now < until
    }

    /// The partitions this member holds now.
    var held: [Int] { validUntil.keys.filter(holds).sorted() }

    /// Step 1–2: registers (or, with `leaving`, leaves) and returns this member's share.
    func share(leaving: Bool = false) async throws -> Set<Int> {
        let reply = try await redis.send(
            ["EVAL", Self.register, "1", membersKey, settings.member, String(settings.duration.wholeMilliseconds), leaving ? "0" : "1"],
            key: membersKey
        )
        let members = (reply.array ?? []).compactMap(\.string).sorted()
        guard let index = members.firstIndex(of: settings.member) else { return [] }
        return Set((0..<partitions.count).filter { $0 % members.count == index })
    }

    /// Step 4: renews the leases of `keep` that are held and tries to take the others; returns the
    /// partitions held afterwards. Each lease is its own call, so a master that is down (its slots
    /// failing over) holds up only the leases it keeps, and no call waits longer than a lease stays
    /// valid (a later answer could not extend it). A lease whose answer does not come stays as it
    /// was, and lapses by its own clock if no later renewal succeeds.
    func renewAndAcquire(_ keep: Set<Int>) async -> Set<Int> {
        let milliseconds = String(settings.duration.wholeMilliseconds)
        let sent = ContinuousClock.now
        let calls = keep.sorted().map { partition in
            let key = leaseKey(partition)
            let command =
                validUntil[partition] != nil
                ? RedisCommand(["EVAL", Self.renew, "1", key, settings.member, milliseconds], key: key)
                : RedisCommand(["SET", key, settings.member, "NX", "PX", milliseconds], key: key)
            return (partition, command)
        }
        let redis = self.redis
        let deadline = settings.duration - settings.margin
        let answers = await withTaskGroup(of: (Int, RESPValue?).self) { group in
            for (partition, command) in calls {
                group.addTask {
                    let reply = try? await withAbandoningDeadline(deadline, timeoutError: redisTimeout) {
                        try await redis.pipeline([command])[0]
                    }
                    return (partition, reply)
                }
            }
            var answers: [Int: RESPValue] = [:]
            for await (partition, reply) in group { answers[partition] = reply }
            return answers
        }
        if answers.count < calls.count {
            logger.info("partition leases unanswered", metadata: ["redis.leases.unanswered": "\(calls.count - answers.count)"])
        }
        for (partition, _) in calls {
            guard let reply = answers[partition] else { continue }
            if reply.integer == 1 || reply.string == "OK" {
                if validUntil[partition] == nil {
                    logger.info("partition acquired", metadata: ["redis.partition": "\(partition)", "redis.member": "\(settings.member)"])
                }
                validUntil[partition] = sent + settings.duration - settings.margin
            } else if validUntil.removeValue(forKey: partition) != nil {
                logger.info("partition lease lost", metadata: ["redis.partition": "\(partition)", "redis.member": "\(settings.member)"])
            }
        }
        return Set(validUntil.keys.filter(holds))
    }

    /// Step 3: deletes the leases of `partitions` if they still name this member (their readers
    /// have stopped).
    func release(_ released: Set<Int>) async {
        guard !released.isEmpty else { return }
        for partition in released { validUntil[partition] = nil }
        let commands = released.sorted().map {
            RedisCommand(["EVAL", Self.release, "1", leaseKey($0), settings.member], key: leaseKey($0))
        }
        let redis = self.redis
        do {
            // Bounded like renewals: a lease on a master that is down expires on its own.
            _ = try await withAbandoningDeadline(settings.renewInterval, timeoutError: redisTimeout) {
                try await redis.pipeline(commands)
            }
            logger.info("partitions released", metadata: ["redis.partitions": "\(released.sorted())", "redis.member": "\(settings.member)"])
        } catch {
            // They expire on their own.
            logger.info("partition release failed; the leases expire", metadata: ["error": "\(error)"])
        }
    }

    // -- KEYS[1] members; ARGV member, lease ms, 1 to register / 0 to leave
    // -- drop expired members, add or remove this one, keep the set while anyone renews it
    // -- answer the live members
    static let register = """
        local t = redis.call('TIME')
        local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
        redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now)
        if ARGV[3] == '1' then
          redis.call('ZADD', KEYS[1], now + tonumber(ARGV[2]), ARGV[1])
        else
          redis.call('ZREM', KEYS[1], ARGV[1])
        end
        redis.call('PEXPIRE', KEYS[1], tonumber(ARGV[2]) * 2)
        return redis.call('ZRANGE', KEYS[1], 0, -1)
        """

    // -- KEYS[1] lease; ARGV member, lease ms: extend it only while it is this member's
    static let renew = """
        if redis.call('GET', KEYS[1]) == ARGV[1] then
          return redis.call('PEXPIRE', KEYS[1], ARGV[2])
        end
        return 0
        """

    // -- KEYS[1] lease; ARGV member: delete it only while it is this member's
    static let release = """
        if redis.call('GET', KEYS[1]) == ARGV[1] then
          return redis.call('DEL', KEYS[1])
        end
        return 0
        """
}

/// The error of a lease call that outlived its deadline.
let redisTimeout: @Sendable () -> any Error = { RedisError.timeout }
