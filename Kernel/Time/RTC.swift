import KernelSupport
import Bytes

/// The CMOS real-time clock: read once at boot for the wall clock (HTTP Date needs it); after that the
/// wall clock is the boot RTC time plus TSC time elapsed, so it never jumps backwards.
final class RTCWallClock: WallClock {
    static let shared = RTCWallClock()

    nonisolated(unsafe) static private(set) var unixAtBoot: UInt64 = 0

    static func read() { unixAtBoot = RTC.readUnixSeconds() }

    func unixSeconds() -> UInt64 {
        RTCWallClock.unixAtBoot &+ TSCClock.sinceBootMicroseconds() / 1_000_000
    }
}

enum RTC {
    private static let indexPort: UInt16 = 0x70
    private static let dataPort: UInt16 = 0x71
    /// Keep NMIs enabled (bit 7 clear) while selecting registers.
    private static func register(_ index: UInt8) -> UInt8 {
        outb(indexPort, index & 0x7F)
        return inb(dataPort)
    }

    static var updateInProgress: Bool { register(0x0A) & 0x80 != 0 }

    /// The seconds register, raw (for edge detection in the clock self-test).
    static var secondsRegister: UInt8 { register(0x00) }

    struct Reading: Equatable {
        var second, minute, hour, day, month, year, century: UInt8
    }

    private static func snapshot() -> Reading {
        Reading(second: register(0x00), minute: register(0x02), hour: register(0x04), day: register(0x07),
                month: register(0x08), year: register(0x09), century: register(0x32))
    }

    /// Reads until two consecutive snapshots agree outside an update cycle (the registers change while
    /// the RTC updates), then converts BCD / 12-hour forms as register B says.
    static func readUnixSeconds() -> UInt64 {
        var a = snapshot()
        for _ in 0..<1000 {
            while updateInProgress {}
            let b = snapshot()
            if a == b { break }
            a = b
        }
        let statusB = register(0x0B)
        let binary = statusB & 0x04 != 0
        let twentyFourHour = statusB & 0x02 != 0
        func value(_ raw: UInt8) -> UInt64 { binary ? UInt64(raw) : UInt64(raw >> 4) * 10 + UInt64(raw & 0xF) }
        var hour = value(a.hour & 0x7F)
        if !twentyFourHour && a.hour & 0x80 != 0 { hour = (hour % 12) + 12 } else if !twentyFourHour && hour == 12 { hour = 0 }
        var century = value(a.century)
        if century < 19 || century > 30 { century = 20 }      // register absent on some machines
        let year = century * 100 + value(a.year)
        let days = CivilDate.daysFromCivil(year: Int64(year), month: Int64(value(a.month)), day: Int64(value(a.day)))
        return UInt64(days) * 86_400 + hour * 3600 + value(a.minute) * 60 + value(a.second)
    }
}

/// Days between 1970-01-01 and a proleptic Gregorian date, with integer maths only (the era/day-of-era
/// method: shift the year to start in March so the leap day is last).
enum CivilDate {
    static func daysFromCivil(year: Int64, month: Int64, day: Int64) -> Int64 {
        let y = month <= 2 ? year - 1 : year
        let era = (y >= 0 ? y : y - 399) / 400
        let yearOfEra = y - era * 400
        let monthFromMarch = month > 2 ? month - 3 : month + 9
        let dayOfYear = (153 * monthFromMarch + 2) / 5 + day - 1
        let dayOfEra = yearOfEra * 365 + yearOfEra / 4 - yearOfEra / 100 + dayOfYear
        return era * 146_097 + dayOfEra - 719_468
    }
}
