import Testing
import Bytes
import Services
import TestSupport
@testable import HTTP

/// The HTTP object's callbacks (issue 18, after Daylight's _init_cb, _loop_cb, _beat_cb, _error_cb,
/// _exit_cb), installed as the appliance installs an app and driven through the registry.
@Suite struct CallbackTests {
    /// An app whose document root holds /file.txt and a corrupt /bad.txt, with a route at /route.
    static func app(_ configure: @escaping (HTTPServer) -> Void) -> AppHarness {
        let harness = AppHarness(Application(name: "t") { app in
            app.http.router.add(.get, "/route") { _ in HTTPResponse(contentType: "text/plain", text: "route") }
            configure(app.http)
        })
        let fs = MemoryFileSystem()
        fs.addFile("/file.txt", "file")
        fs.corruptFiles.insert(fs.addFile("/bad.txt", Array("never read".utf8)).id.value)
        harness.http.fileSystem = fs
        return harness
    }

    @Test func theLoopSeesEveryRequestAndWhatItDeclinesGoesOn() {
        var seen: [String] = []
        let harness = Self.app { http in
            http.onLoop { request in
                seen.append(request.pathText)
                return request.path.elementsEqual("/mine".utf8) ? HTTPResponse(contentType: "text/plain", text: "loop") : nil
            }
        }
        #expect(harness.get("/mine").text == "loop")
        #expect(harness.get("/route").text == "route")                // declined: the route
        #expect(harness.get("/file.txt").text == "file")              // declined: the file
        #expect(harness.get("/factory/health").text == "ok\n")        // declined: the built-in page
        #expect(harness.get("/missing").status == 404)
        #expect(seen == ["/mine", "/route", "/file.txt", "/factory/health", "/missing"])
    }

    /// A file the disk is still fetching is answered on a later retry; the loop saw its request once.
    @Test func theLoopSeesARequestOnceWhileTheDiskMakesItWait() throws {
        var seen = 0
        let harness = Self.app { http in http.onLoop { _ in seen += 1; return nil } }
        let fs = try #require(harness.http.fileSystem as? MemoryFileSystem)
        fs.blockCalls = 3
        #expect(harness.get("/file.txt").text == "file")
        #expect(fs.blockCalls == 0 && harness.http.counters.wouldBlockRetries >= 1)
        #expect(seen == 1)
    }

    /// Per request, a /factory page is overridden, handed back (declined) or denied.
    @Test func aLoopOverridesHandsBackOrDeniesTheBuiltInPages() {
        let harness = Self.app { http in
            http.onLoop { request in
                if request.path.elementsEqual("/factory/help".utf8) { return .error(.forbidden, "Not for you.") }
                guard request.path.elementsEqual("/factory/etc".utf8), request.query.elementsEqual("mine".utf8) else { return nil }
                return HTTPResponse(contentType: "text/plain", text: "my status")
            }
        }
        #expect(harness.get("/factory/etc?mine").text == "my status")
        let builtIn = harness.get("/factory/etc?format=text")
        #expect(builtIn.status == 200 && builtIn.text.contains("[http]"))
        #expect(harness.get("/factory/help").status == 403)
    }

    @Test func theErrorCallbackHearsRefusalsErrorAnswersAndFileErrors() {
        var heard: [HTTPErrorEvent] = []
        let harness = Self.app { http in http.onError { heard.append($0) } }
        #expect(Reply(harness.exchange(Array("GET / HTTP/1.1\r\nHost : x\r\n\r\n".utf8))).status == 400)
        #expect(harness.get("/missing").status == 404)
        #expect(harness.get("/bad.txt").status == 500)
        #expect(harness.get("/file.txt").status == 200)               // not heard
        #expect(heard.map { $0.status.code } == [400, 404, 500])
        #expect(heard.map { $0.kind } == [.request, .answer, .content])
        #expect(heard[0].target == nil && !heard[0].reason.isEmpty)
        #expect(heard[1].target == Array("/missing".utf8) && heard[1].reason == "Not Found")
        #expect(heard[2].target == Array("/bad.txt".utf8))
    }

    @Test func initRunsOnceAtStartAndTheBeatKeepsItsPeriod() {
        var started: [Instant] = [], beats: [Instant] = []
        let harness = AppHarness(Application(name: "t") { app in
            app.http.onInit { started.append($0) }
            app.http.onBeat(every: .seconds(10)) { beats.append($0) }
        })
        let t0 = harness.clock.now()
        #expect(started == [t0] && beats.isEmpty)
        for _ in 0..<35 {
            harness.clock.advance(by: .seconds(1))
            harness.settle()
        }
        #expect(beats == [t0 + .seconds(10), t0 + .seconds(20), t0 + .seconds(30)])
        #expect(started.count == 1)
    }

    /// A handler or loop that throws: 500 for that request, counted and logged, heard as `.app`; the
    /// connection goes on to the next request.
    @Test func aThrowingCallbackIs500CountedAndLoggedAndTheConnectionLives() {
        var heard: [HTTPErrorEvent] = []
        let harness = Self.app { http in
            http.router.add(.get, "/boom") { _ throws(AppError) in throw AppError("the book is gone") }
            http.onLoop { request throws(AppError) in
                if request.path.elementsEqual("/loop-boom".utf8) { throw AppError("loop broke") }
                return nil
            }
            http.onError { heard.append($0) }
        }
        let both = harness.exchange(Array("GET /boom HTTP/1.1\r\nHost: t\r\n\r\nGET /loop-boom HTTP/1.1\r\nHost: t\r\n\r\nGET /route HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n".utf8))
        let responses = readResponses(both)
        #expect(responses.map { $0.status } == [500, 500, 200])
        #expect(harness.http.counters.appFailures == 2)
        #expect(harness.http.counters.connectionsAccepted == 1)       // one connection served all three
        #expect(harness.logged.contains("http: the app failed on GET /boom: the book is gone; answered 500"))
        #expect(harness.logged.contains("http: the app failed on GET /loop-boom: loop broke; answered 500"))
        #expect(heard.map { $0.kind } == [.app, .app] && heard.allSatisfy { $0.reason == "app-failure" })
        #expect(harness.get("/factory/metrics").text.contains("appliance_http_app_failures_total 2"))
    }
}
