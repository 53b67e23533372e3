import Testing
import Bytes
import Services
import TestSupport
@testable import HTTP

/// `Application.install`: what the appliance and `AppHarness` register for an app.
@Suite struct ApplicationTests {
    @Test func routesAnswerBeforeTheBuiltInPagesAndOptionsReachTheApp() {
        let app = Application(name: "t") { app in
            let greeting = app.option("greeting") ?? Array("none".utf8)
            app.http.router.add(.get, "/factory/help") { _ in HTTPResponse(contentType: "text/plain", text: "mine") }
            app.http.router.add(.get, "/greeting") { _ in HTTPResponse(body: .bytes(greeting)) }
            app.log("installed")
        }
        let harness = AppHarness(app, options: [("greeting", "hi"), ("greeting", "hello")])
        #expect(harness.get("/factory/help").text == "mine")
        #expect(harness.get("/greeting").text == "hello")       // the last one given
        #expect(harness.get("/factory/health").status == 200)
        #expect(harness.logged == ["installed"])
    }

    @Test func anAppMayTurnHTTPOffAndOwnPort80() {
        let page = Array("HTTP/1.0 200 OK\r\n\r\nmine".utf8)
        let app = Application(name: "raw") { app in
            app.serveHTTP = false
            app.register(NetworkService(name: "raw", doInit: { _ = $0.listen(port: 80, backlog: 4) },
                                        doReceive: { conn in
                                            _ = page.withByteView { conn.send($0) }
                                            conn.close()
                                            return .done
                                        }))
        }
        let installed = app.install(http: HTTPServer(wallClock: VirtualClock()))
        #expect(installed.http == nil && installed.own.count == 1)
        #expect(AppHarness(app).exchange(Array("GET / HTTP/1.0\r\n\r\n".utf8)) == page)
    }
}
