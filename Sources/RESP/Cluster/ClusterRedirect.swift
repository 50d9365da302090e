/// What a cluster node's error reply asks of the client, when it is about routing rather than the command.
enum ClusterReply: Equatable {
    /// `MOVED <slot> <host>:<port>`: the slot lives elsewhere for good; update the map and retry there.
    case moved(slot: Int, to: RedisEndpoint)
    /// `ASK <slot> <host>:<port>`: the slot is migrating and this key is already there; send
    /// `ASKING` and the command to that node, once, without changing the map.
    case ask(slot: Int, to: RedisEndpoint)
    /// `TRYAGAIN` (a multi-key command during resharding) or `CLUSTERDOWN` (slots without a
    /// master, for example during a failover): back off and retry.
    case retryLater(String)

    /// The routing meaning of `reply`, or nil when it is an ordinary reply (or ordinary error).
    init?(_ reply: RESPValue) {
        guard case .error(let message) = reply else { return nil }
        let words = message.split(separator: " ", omittingEmptySubsequences: true)
        guard let kind = words.first else { return nil }
        switch kind {
        case "MOVED", "ASK":
            guard words.count >= 3, let slot = Int(words[1]), let endpoint = RedisEndpoint(String(words[2])) else { return nil }
            self = kind == "MOVED" ? .moved(slot: slot, to: endpoint) : .ask(slot: slot, to: endpoint)
        case "TRYAGAIN", "CLUSTERDOWN":
            self = .retryLater(message)
        default:
            return nil
        }
    }
}
