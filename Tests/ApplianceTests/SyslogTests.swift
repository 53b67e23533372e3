import Testing
import Bytes
import Net
@testable import Appliance

@Suite struct SyslogTests {
    static func text(_ level: BootConfig.LogLevel, access: Bool = false, message: String = "hello",
                     host: String = "192.100.200.100") -> String {
        String(decoding: Syslog5424.format(level: level, access: access, unixMicroseconds: 971_186_136_123_456,
                                           host: Array(host.utf8), message: Array(message.utf8)), as: UTF8.self)
    }

    @Test func everyLevelMapsToItsSeverityInFacilityLocal0() {
        #expect(Self.text(.error) == "<131>1 2000-10-10T13:55:36.123456Z 192.100.200.100 appliance - system - hello")
        #expect(Self.text(.warn).hasPrefix("<132>1 "))
        #expect(Self.text(.info).hasPrefix("<134>1 "))
        #expect(Self.text(.debug).hasPrefix("<135>1 "))
    }

    @Test func accessLinesHaveTheirOwnMSGIDAndAMissingHostIsANilValue() {
        #expect(Self.text(.info, access: true, host: "") == "<134>1 2000-10-10T13:55:36.123456Z - appliance - access - hello")
    }

    @Test func longLinesAreCutAndTimesPadded() {
        let long = String(repeating: "x", count: 5000)
        let t = Self.text(.info, message: long)
        #expect(t.utf8.count == "<134>1 2000-10-10T13:55:36.123456Z 192.100.200.100 appliance - system - ".utf8.count + 1024)
        let early = String(decoding: Syslog5424.format(level: .info, access: false, unixMicroseconds: 5, host: [],
                                                       message: []), as: UTF8.self)
        #expect(early == "<134>1 1970-01-01T00:00:00.000005Z - appliance - system - ")
    }

    @Test func theCommandLineKeyTakesAnAddressAndAnOptionalPort() {
        #expect(BootConfig.parse(Array("syslog=10.0.0.1".utf8)).config.syslog == Endpoint(IPv4Address(10, 0, 0, 1), 514))
        #expect(BootConfig.parse(Array("syslog=10.0.0.1:1514".utf8)).config.syslog == Endpoint(IPv4Address(10, 0, 0, 1), 1514))
        let v6 = IPv6Address(parsing: "fd00::1")!
        #expect(BootConfig.parse(Array("syslog=[fd00::1]:1514".utf8)).config.syslog == Endpoint(v6, 1514))
        #expect(BootConfig.parse(Array("syslog=[fd00::1]".utf8)).config.syslog == Endpoint(v6, 514))
        #expect(BootConfig.parse(Array("syslog=fd00::1".utf8)).config.syslog == Endpoint(v6, 514))
        for bad in ["syslog", "syslog=", "syslog=host.example", "syslog=10.0.0.1:0", "syslog=10.0.0:514",
                    "syslog=[fd00::1]:0", "syslog=[fd00::1]514", "syslog=[fd00::1", "syslog=[::]", "syslog=::1",
                    "syslog=[::ffff:a00:1]", "syslog=[10.0.0.1]:514", "syslog=fd00::1:", "syslog=[fd00::g]:514"] {
            let (config, problems) = BootConfig.parse(Array(bad.utf8))
            #expect(config.syslog == nil && problems.count == 1, "\(bad)")
        }
    }
}
