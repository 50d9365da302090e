import OutboxRedis
import RESP
import Testing

@Suite struct StreamPartitionsTests {
    @Test func fnv1aTestVectors() {
        // From the FNV reference test suite (32-bit FNV-1a).
        #expect(StreamPartitions.fnv1a32("") == 0x811C_9DC5)
        #expect(StreamPartitions.fnv1a32("a") == 0xE40C_292C)
        #expect(StreamPartitions.fnv1a32("foobar") == 0xBF9C_F968)
    }

    @Test func onePartitionIsTheTopicItself() {
        let layout = StreamPartitions(topic: "pizza-orders", count: 1)
        #expect(layout.streams == ["pizza-orders"])
        #expect(layout.partition(forKey: "anything") == 0)
    }

    @Test func partitionsSpreadOverTheSlotRanges() {
        for count in [2, 3, 4, 6, 16] {
            let layout = StreamPartitions(topic: "pizza-orders", count: count)
            for (partition, stream) in layout.streams.enumerated() {
                #expect(stream.hasPrefix("pizza-orders:{\(partition)."))
                // Partition p's slot lies in the p-th of `count` equal ranges of the 16384 slots.
                #expect(ClusterSlot.of(stream) * count / ClusterSlot.count == partition)
            }
        }
        #expect(StreamPartitions(topic: "pizza-orders", count: 3).streams == ["pizza-orders:{0.1}", "pizza-orders:{1.0}", "pizza-orders:{2.0}"])
    }

    @Test func aKeyAlwaysGoesToThePartitionOfItsHash() {
        let layout = StreamPartitions(topic: "t", count: 3)
        let key = "5b0e8a5c-2f0b-4f4e-9d0c-1c2b3a4d5e6f"
        #expect(layout.partition(forKey: key) == Int(StreamPartitions.fnv1a32(key) % 3))
        #expect(layout.stream(forKey: key) == layout.streams[layout.partition(forKey: key)])
        // The keys of many orders use every partition.
        #expect(Set((0..<100).map { layout.partition(forKey: "order-\($0)") }) == [0, 1, 2])
    }
}
