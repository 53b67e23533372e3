import Testing
import Bytes
import TestSupport
@testable import TCP

/// The TCP transition matrix in smoltcp's style: for every state, one test per class of incoming
/// segment, each injecting exactly one segment and asserting the exact reply (flags, seq, ack, window)
/// and the state afterwards. The states are reached through real handshakes and closes driven segment by
/// segment (`StatePeer`); the reply table below is RFC 9293 section 3.10.7 with RFC 5961's challenge ACKs
/// and RFC 1337's TIME-WAIT rule. This is the safety net for changes to TCP's structure: a change of
/// behaviour in any cell fails the named case.
@Suite struct TransitionMatrixTests {
    /// The classes of incoming segment, relative to the stack's receive and send sequence numbers.
    enum Incoming: CaseIterable, CustomStringConvertible {
        case rstExact, rstInWindow, rstOutOfWindow, syn, ackTooNew, ackTooOld, dataInWindow, dataOutOfWindow, fin, noAck

        var description: String {
            switch self {
            case .rstExact: return "RST at RCV.NXT"
            case .rstInWindow: return "RST in window, not at RCV.NXT"
            case .rstOutOfWindow: return "RST outside the window"
            case .syn: return "SYN"
            case .ackTooNew: return "ACK of data never sent"
            case .ackTooOld: return "ACK older than the window"
            case .dataInWindow: return "data at RCV.NXT"
            case .dataOutOfWindow: return "data beyond the window"
            case .fin: return "FIN at RCV.NXT acking everything"
            case .noAck: return "data without ACK"
            }
        }
    }

    /// What the stack must answer.
    enum Reply: Equatable {
        case nothing
        /// ACK of RCV.NXT (+ `plus`) from SND.NXT: the ordinary and the challenge ACK alike.
        case ack(plus: Int)
        /// A reset whose sequence number is the unacceptable ACK's (RFC 9293: <SEQ=SEG.ACK><CTL=RST>).
        case reset
        /// A reset from SND.NXT acknowledging RCV.NXT, for data no reader will ever take.
        case resetAck
        /// Our SYN-ACK again (ISS, acknowledging RCV.NXT).
        case synAck
    }

    struct Cell: CustomStringConvertible {
        var state: StatePeer.Fixture
        var incoming: Incoming
        var reply: Reply
        var after: TCPState?
        var description: String { "\(state) + \(incoming)" }
    }

    /// The whole table: every synchronized state against every class, then the unsynchronized ones.
    static let table: [Cell] = {
        var cells: [Cell] = []
        func add(_ state: StatePeer.Fixture, _ incoming: Incoming, _ reply: Reply, _ after: TCPState?) {
            cells.append(Cell(state: state, incoming: incoming, reply: reply, after: after))
        }
        // Synchronized states with a connection record. RST at RCV.NXT ends them silently; an RST or a SYN
        // merely in the window gets a challenge ACK (RFC 5961 3.2, 4.2); unacceptable ACKs and segments
        // outside the window get an ACK and are dropped (RFC 9293 3.10.7.4; RFC 5961 5.2); a segment
        // without ACK is dropped silently.
        let synchronized: [(StatePeer.Fixture, TCPState)] = [
            (.established, .established), (.finWait1, .finWait1), (.finWait2, .finWait2),
            (.closeWait, .closeWait), (.closing, .closing), (.lastAck, .lastAck),
        ]
        for (fixture, state) in synchronized {
            add(fixture, .rstExact, .nothing, nil)
            add(fixture, .rstInWindow, .ack(plus: 0), state)
            add(fixture, .rstOutOfWindow, .nothing, state)
            add(fixture, .syn, .ack(plus: 0), state)
            add(fixture, .ackTooNew, .ack(plus: 0), state)
            add(fixture, .ackTooOld, .ack(plus: 0), state)
            add(fixture, .dataOutOfWindow, .ack(plus: 0), state)
            add(fixture, .noAck, .nothing, state)
        }
        // Data and FIN at RCV.NXT, state by state. The fixtures close with `close` (both directions), so
        // data arriving after it can reach no reader: the connection is reset (RFC 1122 4.2.2.13). After
        // the peer's own FIN, more text or another FIN is ignored (RFC 9293 3.10.7.4, "this should not
        // occur"), but the ACK it carries still counts: it acknowledges our FIN in CLOSING and LAST-ACK.
        add(.established, .dataInWindow, .ack(plus: 10), .established)
        add(.established, .fin, .ack(plus: 1), .closeWait)
        add(.finWait1, .dataInWindow, .resetAck, nil)
        add(.finWait1, .fin, .ack(plus: 1), .timeWait)      // the FIN also acknowledges ours
        add(.finWait2, .dataInWindow, .resetAck, nil)
        add(.finWait2, .fin, .ack(plus: 1), .timeWait)
        add(.closeWait, .dataInWindow, .nothing, .closeWait)
        add(.closeWait, .fin, .nothing, .closeWait)
        add(.closing, .dataInWindow, .nothing, .timeWait)
        add(.closing, .fin, .nothing, .timeWait)
        add(.lastAck, .dataInWindow, .nothing, nil)
        add(.lastAck, .fin, .nothing, nil)
        // TIME-WAIT (the compact record): an RST never ends it (RFC 1337); anything that occupies sequence
        // space gets the final ACK again; a bare ACK is ignored.
        add(.timeWait, .rstExact, .nothing, .timeWait)
        add(.timeWait, .rstInWindow, .nothing, .timeWait)
        add(.timeWait, .rstOutOfWindow, .nothing, .timeWait)
        add(.timeWait, .ackTooNew, .nothing, .timeWait)
        add(.timeWait, .ackTooOld, .nothing, .timeWait)
        add(.timeWait, .dataInWindow, .ack(plus: 0), .timeWait)
        add(.timeWait, .fin, .ack(plus: 0), .timeWait)
        // SYN-RECEIVED: an RST in the window returns the connection to LISTEN (nothing left); an ACK of
        // something never sent is answered with a reset (RFC 9293 3.10.7.4, SYN-RECEIVED); an acceptable
        // ACK carrying data establishes the connection and acknowledges the data.
        add(.synReceived, .rstExact, .nothing, nil)
        add(.synReceived, .rstOutOfWindow, .nothing, .synReceived)
        add(.synReceived, .ackTooNew, .reset, .synReceived)
        add(.synReceived, .dataInWindow, .ack(plus: 10), .established)
        add(.synReceived, .noAck, .nothing, .synReceived)
        // Before the handshake completes, the SYN-ACK is the only acknowledgement there is: a challenge
        // (RST in the window), the peer's SYN again, or a segment outside the window get it again.
        add(.synReceived, .rstInWindow, .synAck, .synReceived)
        add(.synReceived, .syn, .synAck, .synReceived)
        add(.synReceived, .ackTooOld, .reset, .synReceived)
        add(.synReceived, .dataOutOfWindow, .synAck, .synReceived)
        add(.synReceived, .fin, .ack(plus: 1), .closeWait)
        return cells
    }()

    @Test(arguments: TransitionMatrixTests.table)
    func cell(_ cell: Cell) throws {
        let peer = try StatePeer(cell.state)
        #expect(peer.state == cell.state.state, "fixture \(cell.state) reached \(peer.state?.name ?? "nothing")")
        let rcvNxt = peer.seq, sndNxt = peer.ours, before = peer.state
        let replies = peer.send(cell.incoming)
        switch cell.reply {
        case .nothing:
            #expect(replies.isEmpty, "expected no reply, got \(replies.map(StatePeer.describe))")
        case .ack(let plus):
            #expect(replies.count == 1, "expected one ACK, got \(replies.map(StatePeer.describe))")
            if let r = replies.first {
                #expect(r.flags == [.ack])
                #expect(r.seq == sndNxt)
                #expect(r.ack == rcvNxt + plus)
                #expect(r.payload.isEmpty)
                #expect(Int(r.window) == peer.expectedWindow(acknowledging: r.ack, from: before))
            }
        case .reset:
            #expect(replies.count == 1, "expected one RST, got \(replies.map(StatePeer.describe))")
            if let r = replies.first {
                #expect(r.flags == [.rst])
                #expect(r.seq == peer.lastAcknowledgement)
            }
        case .synAck:
            #expect(replies.count == 1, "expected our SYN-ACK again, got \(replies.map(StatePeer.describe))")
            if let r = replies.first {
                #expect(r.flags == [.syn, .ack])
                #expect(r.seq == sndNxt - 1)
                #expect(r.ack == rcvNxt)
                #expect(Int(r.window) == StatePeer.receiveBuffer)
            }
        case .resetAck:
            #expect(replies.count == 1, "expected one RST+ACK, got \(replies.map(StatePeer.describe))")
            if let r = replies.first {
                #expect(r.flags == [.rst, .ack])
                #expect(r.seq == sndNxt)
                #expect(r.ack == rcvNxt)
            }
        }
        #expect(peer.state == cell.after, "state \(peer.state?.name ?? "none"), expected \(cell.after?.name ?? "none")")
    }

    /// LISTEN: only a SYN makes anything; an ACK gets a reset, an RST is ignored (RFC 9293 3.10.7.2).
    @Test func listenAnswersOnlySynsAndResetsStrayAcks() throws {
        let peer = try StatePeer(.listen)
        #expect(peer.send(.rstExact).isEmpty)
        #expect(peer.send(.noAck).isEmpty)
        let reset = peer.send(.ackTooNew)
        #expect(reset.count == 1 && reset.first?.flags == [.rst])
        #expect(reset.first?.seq == peer.ours + StatePeer.tooNew)
        #expect(peer.stack.connectionCount == 0)
        let synAck = peer.sendRaw([.syn], seq: peer.seq, ack: nil, mss: 1460)
        #expect(synAck.count == 1 && synAck.first?.flags == [.syn, .ack])
        #expect(synAck.first?.ack == peer.seq + 1)
        #expect(peer.state == .synReceived)
    }

    /// SYN-SENT: an acceptable SYN-ACK establishes; an unacceptable ACK draws a reset; an RST that
    /// acknowledges our SYN refuses the connection (RFC 9293 3.10.7.3).
    @Test func synSentTransitions() throws {
        var peer = try StatePeer(.synSent)
        let ack = peer.sendRaw([.syn, .ack], seq: peer.seq, ack: peer.ours)
        #expect(ack.count == 1 && ack.first?.flags == [.ack] && ack.first?.ack == peer.seq + 1)
        #expect(peer.state == .established)

        peer = try StatePeer(.synSent)
        let reset = peer.sendRaw([.ack], seq: peer.seq, ack: peer.ours + StatePeer.tooNew)
        #expect(reset.count == 1 && reset.first?.flags == [.rst] && reset.first?.seq == peer.ours + StatePeer.tooNew)
        #expect(peer.state == .synSent)

        peer = try StatePeer(.synSent)
        #expect(peer.sendRaw([.rst, .ack], seq: peer.seq, ack: peer.ours).isEmpty)
        #expect(peer.state == nil)

        peer = try StatePeer(.synSent)
        #expect(peer.sendRaw([.rst], seq: peer.seq, ack: nil).isEmpty, "an RST without ACK is ignored")
        #expect(peer.state == .synSent)
    }
}

/// The peer side of one connection to the TCP layer under test (B, 10.0.0.2), written segment by
/// segment: nothing B sends is delivered anywhere, so every reply is read exactly as B wrote it.
final class StatePeer {
    enum Fixture: CustomStringConvertible {
        case listen, synSent, synReceived, established, finWait1, finWait2, closing, timeWait, closeWait, lastAck

        /// The state the fixture leaves the connection in (LISTEN: no connection yet).
        var state: TCPState? {
            switch self {
            case .listen: return nil
            case .synSent: return .synSent
            case .synReceived: return .synReceived
            case .established: return .established
            case .finWait1: return .finWait1
            case .finWait2: return .finWait2
            case .closing: return .closing
            case .timeWait: return .timeWait
            case .closeWait: return .closeWait
            case .lastAck: return .lastAck
            }
        }
        var description: String { state?.name ?? "LISTEN" }
    }

    /// How far past SND.NXT an "ACK of data never sent" points.
    static let tooNew = 1000
    /// The receive buffer of the stack under test: its whole space is the window (no scaling offered).
    static let receiveBuffer = 8192

    let net = TwoHosts { configuration, _ in configuration.receiveBufferSize = StatePeer.receiveBuffer }
    var stack: TCPLayer { net.b }
    let peerPort: UInt16 = 40_000
    var localPort: UInt16 = 80
    /// The peer's next sequence number (the stack's RCV.NXT once synchronized) and the stack's next one
    /// (its SND.NXT), learned from what it sent.
    var seq = SequenceNumber(7_000_000)
    var ours = SequenceNumber(0)
    private var seen = 0
    /// The acknowledgement field of the last segment injected (a reset answering it carries it as seq).
    private(set) var lastAcknowledgement = SequenceNumber(0)
    private(set) var handle: TCPHandle?

    init(_ fixture: Fixture) throws {
        if fixture == .synSent {
            handle = try stack.connect(from: net.addresses[1], to: Endpoint(net.addresses[0], peerPort), now: net.now)
            stack.poll(now: net.now)
            guard let syn = newSegments().first, syn.flags == [.syn] else { throw Failure.unexpected("no SYN") }
            ours = syn.seq + 1
            localPort = stack.localEndpoint(handle!)!.port
            return
        }
        let listener = try stack.listen(port: localPort, backlog: 8)
        if fixture == .listen { return }
        let synAck = sendRaw([.syn], seq: seq, ack: nil, mss: 1460)
        guard synAck.count == 1, synAck[0].flags == [.syn, .ack] else { throw Failure.unexpected("no SYN-ACK") }
        seq = seq + 1
        ours = synAck[0].seq + 1
        rightEdge = seq + StatePeer.receiveBuffer
        if fixture == .synReceived { return }
        try expectNothing(sendRaw([.ack], seq: seq, ack: ours))
        handle = try stack.accept(listener)
        guard let handle else { throw Failure.unexpected("not accepted") }
        switch fixture {
        case .established: return
        case .closeWait, .lastAck:
            let ack = sendRaw([.fin, .ack], seq: seq, ack: ours)
            seq = seq + 1
            guard ack.first?.ack == seq else { throw Failure.unexpected("FIN not acknowledged") }
            if fixture == .lastAck { try closeAndTakeFin(handle) }
        case .finWait1, .finWait2, .closing, .timeWait:
            try closeAndTakeFin(handle)
            switch fixture {
            case .finWait2: try expectNothing(sendRaw([.ack], seq: seq, ack: ours))
            case .closing:
                _ = sendRaw([.fin, .ack], seq: seq, ack: ours - 1)
                seq = seq + 1
            case .timeWait:
                try expectNothing(sendRaw([.ack], seq: seq, ack: ours))
                _ = sendRaw([.fin, .ack], seq: seq, ack: ours)
                seq = seq + 1
            default: break
            }
        default: break
        }
    }

    private func closeAndTakeFin(_ handle: TCPHandle) throws {
        try stack.close(handle)
        stack.poll(now: net.now)
        guard let fin = newSegments().last, fin.flags.contains(.fin) else { throw Failure.unexpected("no FIN") }
        ours = fin.seq + 1
    }

    private func expectNothing(_ replies: [Wire.Summary]) throws {
        guard replies.isEmpty else { throw Failure.unexpected("unexpected \(replies.map(StatePeer.describe))") }
    }

    enum Failure: Error { case unexpected(String) }

    var key: ConnectionKey {
        ConnectionKey(local: Endpoint(net.addresses[1], localPort), remote: Endpoint(net.addresses[0], peerPort))
    }

    /// The connection's state: TIME-WAIT from its compact record, nil when there is no connection.
    var state: TCPState? {
        if let index = stack.connections[key], case .connection(let connection) = stack.slots[index].entry {
            return connection.state
        }
        return stack.timeWait[key] != nil ? .timeWait : nil
    }

    /// The window an ACK of `ack` sent in state `sender` must advertise: up to the right edge offered at the handshake (the
    /// whole receive buffer, no scaling offered), which never moves left, so unread data and a FIN
    /// narrow it. The TIME-WAIT record keeps no buffer and offers none.
    func expectedWindow(acknowledging ack: SequenceNumber, from sender: TCPState?) -> Int {
        sender == .timeWait ? 0 : (rightEdge - ack)
    }
    private var rightEdge = SequenceNumber(0)

    /// One segment of class `incoming`, then whatever the stack answers once its delayed ACK is due.
    func send(_ incoming: TransitionMatrixTests.Incoming) -> [Wire.Summary] {
        let payload = Array("0123456789".utf8)
        switch incoming {
        case .rstExact: return sendRaw([.rst], seq: seq, ack: nil)
        case .rstInWindow: return sendRaw([.rst], seq: seq + 1, ack: nil)
        case .rstOutOfWindow: return sendRaw([.rst], seq: seq + 1_000_000, ack: nil)
        case .syn: return sendRaw([.syn], seq: seq - 1, ack: nil, mss: 1460)
        case .ackTooNew: return sendRaw([.ack], seq: seq, ack: ours + StatePeer.tooNew)
        case .ackTooOld: return sendRaw([.ack], seq: seq, ack: ours - 1_000_000)
        case .dataInWindow: return sendRaw([.ack, .psh], seq: seq, ack: ours, payload: payload)
        case .dataOutOfWindow: return sendRaw([.ack, .psh], seq: seq + 1_000_000, ack: ours, payload: payload)
        case .fin: return sendRaw([.fin, .ack], seq: seq, ack: ours)
        case .noAck: return sendRaw([.psh], seq: seq, ack: nil, payload: payload)
        }
    }

    /// Injects one segment and returns what the stack sent in answer, the delayed ACK included.
    @discardableResult
    func sendRaw(_ flags: TCPFlags, seq: SequenceNumber, ack: SequenceNumber?, payload: [UInt8] = [],
                 mss: UInt16? = nil) -> [Wire.Summary] {
        lastAcknowledgement = ack ?? SequenceNumber(0)
        let segment = OutgoingSegment(sourcePort: peerPort, destinationPort: localPort, seq: seq,
                                      ack: lastAcknowledgement, flags: flags, window: 65535, mss: mss)
        net.inject(segment, payload: payload, from: 0)
        stack.poll(now: net.now)
        net.clock.advance(by: stack.configuration.ackDelay)
        stack.poll(now: net.now)
        return newSegments()
    }

    private func newSegments() -> [Wire.Summary] {
        let all = net.sent(by: 1)
        defer { seen = all.count }
        return Array(all[seen...])
    }

    static func describe(_ s: Wire.Summary) -> String {
        "flags \(s.flags.rawValue) seq \(s.seq.raw) ack \(s.ack.raw) win \(s.window) len \(s.payload.count)"
    }
}
