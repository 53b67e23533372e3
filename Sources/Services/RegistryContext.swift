import Bytes

/// The `ServiceContext` one service holds: the registry's services, narrowed to that service, so every
/// listener, outgoing connection and heartbeat it creates is owned by it.
final class RegistryContext<Transport: StreamTransport>: ServiceContext {
    let registry: ServiceRegistry<Transport>
    let service: Int

    init(registry: ServiceRegistry<Transport>, service: Int) {
        self.registry = registry
        self.service = service
    }

    var now: Instant { registry.now }

    func listen(port: UInt16, backlog: Int) -> Bool {
        registry.listen(service: service, port: port, backlog: backlog)
    }

    func connect(to remote: Endpoint) -> (any Connection)? {
        registry.connect(service: service, to: remote)
    }

    func beat(every interval: Interval?) {
        registry.setBeat(service: service, every: interval)
    }
}
