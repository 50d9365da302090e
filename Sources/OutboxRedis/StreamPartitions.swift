import RESP

/// How a topic is split into Redis streams: with one partition, the stream is the topic itself
/// (`pizza-orders`); with N > 1, partition p is the stream `<topic>:{p.k}`, and a message goes to
/// partition `fnv1a32(utf8(key)) mod N` — FNV-1a, 32 bits, of its ordering key (the aggregate id),
/// so an order's events share a partition and any program can compute which.
///
/// The hash tag `{p.k}` puts the whole stream, and the keys kept beside it, in one cluster slot;
/// `k` is the smallest number ≥ 0 whose tag's slot lies in the p-th of N equal slot ranges, so the
/// partitions spread over the masters the way `redis-cli --cluster create` divides the slots.
/// Changing N renames the streams: drain the old ones first.
public struct StreamPartitions: Sendable, Equatable {
    /// The topic the streams belong to.
    public let topic: String
    /// How many partitions (streams) the topic has.
    public let count: Int
    /// The stream of each partition.
    public let streams: [String]

    /// The partitions of `topic`; `count` must be at least 1.
    public init(topic: String, count: Int) {
        precondition(count >= 1, "a topic has at least one partition")
        self.topic = topic
        self.count = count
        streams = count == 1 ? [topic] : (0..<count).map { "\(topic):{\(Self.tag(partition: $0, of: count))}" }
    }

    /// The partition of ordering key `key`.
    public func partition(forKey key: String) -> Int {
        count == 1 ? 0 : Int(Self.fnv1a32(key) % UInt32(count))
    }

    /// The stream of ordering key `key`.
    public func stream(forKey key: String) -> String {
        streams[partition(forKey: key)]
    }

    /// FNV-1a, 32 bits, of the UTF-8 bytes of `text`.
    public static func fnv1a32(_ text: String) -> UInt32 {
        var hash: UInt32 = 0x811C_9DC5
        for byte in text.utf8 {
            hash ^= UInt32(byte)
            hash = hash &* 0x0100_0193
        }
        return hash
    }

    /// `p.k` with the smallest k whose slot falls in the p-th of `count` equal slot ranges.
    static func tag(partition: Int, of count: Int) -> String {
        var k = 0
        while ClusterSlot.of("\(partition).\(k)") * count / ClusterSlot.count != partition { k += 1 }
        return "\(partition).\(k)"
    }
}
