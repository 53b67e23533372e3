import Bytes

/// The 4-tuple that names a connection: our end and theirs.
public struct ConnectionKey: Hashable {
    public var local: Endpoint
    public var remote: Endpoint

    @inlinable public init(local: Endpoint, remote: Endpoint) { self.local = local; self.remote = remote }

    /// `function` of the tuple as 36 bytes (both whole addresses, of either family, then the ports),
    /// then `words` big-endian: the input of the keyed hashes below. One body for every caller (a
    /// closure parameter here was specialised once per call site, ~360 bytes each).
    /// The input is built on the stack: every new connection hashes its key (`numbers`), and a heap
    /// array for it was one of the connection's allocations.
    func keyedHash(_ function: SipHash24, followedBy words: [UInt32] = []) -> UInt64 {
        withUnsafeTemporaryAllocation(byteCount: 36 + 4 * words.count, alignment: 8) { raw in
            let view = MutableByteView(raw)
            local.address.bits.write(to: view, at: 0)
            remote.address.bits.write(to: view, at: 16)
            view.setU16(local.port, at: 32)
            view.setU16(remote.port, at: 34)
            for (i, word) in words.enumerated() { view.setU32(word, at: 36 + 4 * i) }
            return function.hash(view.readOnly)
        }
    }

    /// Local and remote folded together before hashing: 24 bytes for the hasher instead of 36. Every
    /// segment looks its tuple up, and a connection's life takes some twenty lookups in the connection
    /// and TIME-WAIT tables. The fold keeps tuples apart that share a local address (all of one
    /// interface's, which is what a peer can choose); equality still compares every field.
    public func hash(into hasher: inout Hasher) {
        hasher.combine(local.address.bits.high ^ remote.address.bits.high)
        hasher.combine(local.address.bits.low ^ remote.address.bits.low)
        hasher.combine(UInt64(local.port) << 16 | UInt64(remote.port))
    }
}

/// The secrets that make a connection's numbers unguessable to an off-path attacker: initial
/// sequence numbers per RFC 6528 and per-connection timestamp offsets (RFC 7323 section 7.1).
/// The keys come from the seed given at start-up; the kernel seeds it from the TSC and RTC.
struct ConnectionSecrets {
    /// Keys a new connection's ISN and timestamp offset (`numbers`).
    private let connectionHash: SipHash24
    let portHash: SipHash24
    let cookies: SynCookies
    /// Chooses an address's set in the new-connection rate table (`SourceRateLimiter`).
    let sourceHash: SipHash24

    init(seed: UInt64) {
        var random = SplitMix64(seed: seed)
        connectionHash = SipHash24(key0: random.next(), key1: random.next())
        portHash = SipHash24(key0: random.next(), key1: random.next())
        cookies = SynCookies(hash: SipHash24(key0: random.next(), key1: random.next()))
        sourceHash = SipHash24(key0: random.next(), key1: random.next())
    }

    /// A new connection's initial sequence number and timestamp offset, from one keyed hash of its
    /// tuple: its low half is F for the ISN, its high half the offset (halves of one keyed hash are as
    /// unpredictable as two hashes, at half the cost per connection).
    ///
    /// RFC 6528: ISN = M + F(4-tuple, secret), M a clock ticking every 4 microseconds. The clock keeps
    /// successive incarnations of one 4-tuple moving forward; the hash keeps different tuples apart and
    /// unpredictable. RFC 7323 section 7.1: the per-connection offset keeps TSval from revealing our
    /// uptime.
    func numbers(for key: ConnectionKey, now: Instant) -> (iss: SequenceNumber, timestampOffset: UInt32) {
        let hash = key.keyedHash(connectionHash)
        let clock = UInt32(truncatingIfNeeded: now.nanoseconds / 4_000)
        return (SequenceNumber(clock &+ UInt32(truncatingIfNeeded: hash)), UInt32(truncatingIfNeeded: hash >> 32))
    }
}
