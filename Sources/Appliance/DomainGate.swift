import Bytes
import Services
import HTTP

/// The service domain (`http.domain=`) for services other than HTTP: a connection from outside it is
/// closed at accept, before the service sees a byte (HTTP answers such clients 403 itself).
final class DomainGate {
    private let domain: () -> ServiceDomain
    /// Connections closed at accept because their peer is outside the domain.
    private(set) var refused: UInt64 = 0

    init(domain: @escaping () -> ServiceDomain) { self.domain = domain }

    /// `service` with its accept callback behind the domain check.
    func guarding(_ service: NetworkService) -> NetworkService {
        var guarded = service
        let accept = service.doAccept
        guarded.doAccept = { [self] connection in   // no cycle: the gate holds no service
            guard self.domain().allows(connection.peer.address) else {
                self.refused += 1
                return .done
            }
            return accept(connection)
        }
        return guarded
    }
}
