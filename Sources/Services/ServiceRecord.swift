import Bytes

/// One registered service and its scheduling state.
final class ServiceRecord<Transport: StreamTransport> {
    let service: NetworkService
    /// Work waiting for a callback, oldest first.
    var queue = FIFO<Work<Transport>>()
    /// Connections to look at again on the next poll (bytes left unread after progress).
    var revisits: [RegistryConnection<Transport>] = []
    var beatInterval: Interval?
    var nextBeat: Instant = .never
    var beatQueued = false

    init(service: NetworkService) { self.service = service }
}

/// A unit of work for a service; each costs one callback of its budget.
enum Work<Transport: StreamTransport> {
    case connection(RegistryConnection<Transport>)
    case accept(ListenerID)
    case beat
}

/// A listening port and the service that owns it.
struct ListenerRecord {
    let id: ListenerID
    let service: Int
    let port: UInt16
    var acceptQueued = false
}
