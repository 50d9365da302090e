/// Which node serves each hash slot, as `CLUSTER SHARDS` (Redis 7) reports it.
struct ClusterSlotMap: Equatable {
    /// The master of each slot, indexed by slot; nil for a slot no shard claims.
    var owners: [RedisEndpoint?]

    /// An empty map: every slot unknown.
    init() {
        owners = Array(repeating: nil, count: ClusterSlot.count)
    }

    /// The map of a `CLUSTER SHARDS` reply. Each shard names its slot ranges and its nodes; the
    /// slots go to the shard's online master (any master when none is online yet). With `tls` the
    /// node's `tls-port` is used. A node without an endpoint of its own is taken to live on the
    /// host that answered.
    init(shards reply: RESPValue, tls: Bool, answeredBy: RedisEndpoint) throws(RedisError) {
        self.init()
        guard let shards = reply.array else { throw .protocolViolation("CLUSTER SHARDS: expected an array") }
        for shard in shards {
            let fields = Self.fields(shard)
            guard let ranges = fields["slots"]?.array, ranges.count % 2 == 0 else {
                throw .protocolViolation("CLUSTER SHARDS: a shard without slot ranges")
            }
            let nodes = (fields["nodes"]?.array ?? []).map(Self.fields)
            let masters = nodes.filter { $0["role"]?.string == "master" }
            guard let master = masters.first(where: { $0["health"]?.string == "online" }) ?? masters.first else { continue }
            guard let port = (tls ? master["tls-port"] : master["port"])?.integer else {
                throw .protocolViolation("CLUSTER SHARDS: a master without \(tls ? "tls-port" : "port")")
            }
            let endpointField = master["endpoint"]?.string ?? ""
            let host = endpointField.isEmpty || endpointField == "?" ? master["ip"]?.string ?? answeredBy.host : endpointField
            let endpoint = RedisEndpoint(host: host, port: Int(port))
            var index = 0
            while index < ranges.count {
                guard let low = ranges[index].integer, let high = ranges[index + 1].integer, 0 <= low, low <= high,
                    high < ClusterSlot.count
                else { throw .protocolViolation("CLUSTER SHARDS: invalid slot range") }
                for slot in Int(low)...Int(high) { owners[slot] = endpoint }
                index += 2
            }
        }
    }

    /// Whether every slot has a node.
    var isComplete: Bool { !owners.contains(nil) }

    /// The distinct masters, in slot order.
    var masters: [RedisEndpoint] {
        var seen = Set<RedisEndpoint>()
        return owners.compactMap { owner in
            guard let owner, seen.insert(owner).inserted else { return nil }
            return owner
        }
    }

    /// A flat `[name, value, name, value, …]` array as a dictionary.
    private static func fields(_ value: RESPValue) -> [String: RESPValue] {
        let flat = value.array ?? []
        var fields: [String: RESPValue] = [:]
        var index = 0
        while index + 1 < flat.count {
            if let name = flat[index].string { fields[name] = flat[index + 1] }
            index += 2
        }
        return fields
    }
}
