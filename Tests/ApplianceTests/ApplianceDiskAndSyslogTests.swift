import Testing
import Bytes
import Net
import TestSupport
import Ext2
@testable import Appliance

/// The `Appliance` with what the kernel attaches besides the NIC: an ext2 disk (mounted through the
/// block cache, served as the document root, or refused with a console line when it is damaged) and a
/// syslog collector (every log line, access lines included, as RFC 5424 over UDP).
@Suite struct ApplianceDiskAndSyslogTests {
    typealias Bench = ApplianceWiringTests.Bench

    @Test func anExt2DiskIsMountedAndServedAsTheDocumentRoot() throws {
        let image = try mke2fsImage(files: [("index.html", 0o644), ("docs/notes.txt", 0o644)],
                                    directories: [("docs", 0o755)],
                                    contents: ["index.html": "<h1>from the disk</h1>\n", "docs/notes.txt": "plain notes\n"])
        let bench = Bench(commandLine: "ip=10.0.0.1/24", disk: MemoryDisk(image))
        let page = bench.get("/")
        #expect(page.hasPrefix("HTTP/1.1 200") && page.hasSuffix("<h1>from the disk</h1>\n"), "\(page.prefix(120))")
        let notes = bench.get("/docs/notes.txt")
        #expect(notes.hasPrefix("HTTP/1.1 200") && notes.hasSuffix("plain notes\n"), "\(notes.prefix(120))")
        #expect(bench.get("/missing.txt").hasPrefix("HTTP/1.1 404"))
        #expect(bench.log.lines.contains { $0.hasPrefix("disk: ext2 mounted, 1024-byte blocks") }, "\(bench.log.lines)")
    }

    @Test func aDiskThatIsNotExt2IsRefusedWithAConsoleLineAndTheBuiltInPagesStillServe() {
        let bench = Bench(commandLine: "ip=10.0.0.1/24", disk: MemoryDisk([UInt8](repeating: 0, count: 1 << 20)))
        let page = bench.get("/")
        #expect(page.hasPrefix("HTTP/1.1 200") && page.contains("It works."), "\(page.prefix(120))")
        #expect(bench.get("/factory/health").hasPrefix("HTTP/1.1 200"), "\(bench.log.lines)")
        #expect(bench.log.lines.contains { $0.hasPrefix("disk: not served: ") }, "\(bench.log.lines)")
    }

    @Test func everyLogLineGoesToTheCollectorAsRFC5424() throws {
        let bench = Bench(commandLine: "ip=10.0.0.1/24 syslog=10.0.0.2", forwardToSyslog: true)
        let collector = try bench.client.interface.bindUDP(port: 514)
        var received: [String] = []
        func collect() -> Bool {
            while let d = bench.client.interface.receiveUDP(collector) { received.append(String(decoding: d.payload, as: UTF8.self)) }
            return false
        }
        #expect(bench.get("/").hasPrefix("HTTP/1.1 200"))
        #expect(bench.get("/nothing-here").hasPrefix("HTTP/1.1 404"))
        bench.run(steps: 50) { collect() }
        // PRI for local0 (16): info 134; VERSION 1; HOSTNAME the appliance's address; access lines apart.
        let access = received.filter { $0.contains(" access ") }
        #expect(access.count == 2, "\(received)")
        #expect(access.allSatisfy { $0.hasPrefix("<134>1 ") && $0.contains(" 10.0.0.1 ") }, "\(access)")
        #expect(access.last?.contains("\"GET /nothing-here HTTP/1.1\" 404") == true, "\(access)")
        // System lines go too, apart from access lines by their MSGID.
        bench.appliance.requestShutdown("asked by the test", now: bench.clock.now())
        bench.run(steps: 50) { collect() }
        let system = received.filter { $0.contains(" appliance - system - ") }
        #expect(system.contains { $0.contains("asked by the test") }, "\(received)")
        #expect(bench.appliance.syslog?.sent == UInt64(received.count))
        #expect(bench.appliance.syslog?.dropped == 0)
    }
}
