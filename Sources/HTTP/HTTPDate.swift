import Bytes

/// Calendar arithmetic for HTTP dates, in integers only (the kernel is soft-float): proleptic Gregorian
/// days since 1970-01-01 <-> (year, month, day), by the era method (a 400-year era has 146097 days).
public enum CivilDate {
    public static func fromDays(_ z0: Int64) -> (year: Int64, month: Int, day: Int) {
        let z = z0 + 719_468                       // shift the origin to 0000-03-01
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let doe = z - era * 146_097                // day of era [0, 146096]
        let yoe = (doe - doe / 1460 + doe / 36524 - doe / 146_096) / 365   // year of era [0, 399]
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100)                  // day of March-based year
        let mp = (5 * doy + 2) / 153                                        // March = 0
        let day = Int(doy - (153 * mp + 2) / 5 + 1)
        let month = Int(mp < 10 ? mp + 3 : mp - 9)
        return (yoe + era * 400 + (month <= 2 ? 1 : 0), month, day)
    }

    static func toDays(year y0: Int64, month: Int, day: Int) -> Int64 {
        let y = month <= 2 ? y0 - 1 : y0
        let era = (y >= 0 ? y : y - 399) / 400
        let yoe = y - era * 400
        let m = Int64(month)
        let doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + Int64(day) - 1
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy
        return era * 146_097 + doe - 719_468
    }

    static func daysInMonth(year: Int64, month: Int) -> Int {
        switch month {
        case 2: return (year % 4 == 0 && year % 100 != 0) || year % 400 == 0 ? 29 : 28
        case 4, 6, 9, 11: return 30
        default: return 31
        }
    }
}

/// HTTP's date format (RFC 9110 §5.6.7): IMF-fixdate, "Sun, 06 Nov 1994 08:49:37 GMT".
public enum HTTPDate {
    static let weekdays = ["Thu", "Fri", "Sat", "Sun", "Mon", "Tue", "Wed"]   // 1970-01-01 was a Thursday
    static let months = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]

    /// IMF-fixdate for seconds since the Unix epoch.
    public static func format(_ unixSeconds: UInt64) -> String {
        var out = Array(weekdays[Int(unixSeconds / 86400 % 7)].utf8)
        out += [ASCII.comma, ASCII.sp]
        append(unixSeconds, to: &out, separator: ASCII.sp, beforeTime: ASCII.sp)
        out += " GMT".utf8
        return String(decoding: out, as: UTF8.self)
    }

    /// Common Log Format's timestamp, "10/Oct/2000:13:55:36 +0000".
    static func commonLog(_ unixSeconds: UInt64) -> String {
        var out: [UInt8] = []
        putCommonLog(unixSeconds, into: &out)
        return String(decoding: out, as: UTF8.self)
    }

    /// The same into any sink, allocation-free (the console renders access records in a panic too).
    static func putCommonLog<Sink: ByteSink>(_ unixSeconds: UInt64, into out: inout Sink) {
        append(unixSeconds, to: &out, separator: ASCII.slash, beforeTime: ASCII.colon)
        out.put(" +0000")
    }

    /// "DD Mon YYYY HH:MM:SS" with the given separators, the part both formats share. Built as bytes:
    /// string interpolation of a dozen pieces cost kilobytes of image per format.
    private static func append<Sink: ByteSink>(_ unixSeconds: UInt64, to out: inout Sink, separator: UInt8, beforeTime: UInt8) {
        let secs = unixSeconds % 86400
        let (y, m, d) = CivilDate.fromDays(Int64(unixSeconds / 86400))
        out.putDecimal(UInt64(d), width: 2, pad: 0x30); out.put(separator)
        out.put(contentsOf: months[m - 1].utf8); out.put(separator)
        out.putDecimal(UInt64(y)); out.put(beforeTime)
        out.putDecimal(secs / 3600, width: 2, pad: 0x30); out.put(ASCII.colon)
        out.putDecimal(secs / 60 % 60, width: 2, pad: 0x30); out.put(ASCII.colon)
        out.putDecimal(secs % 60, width: 2, pad: 0x30)
    }

    /// Parses IMF-fixdate; nil for anything else. The obsolete RFC 850 and asctime forms are not
    /// accepted: a conditional header we cannot read is ignored, which only costs a full response.
    public static func parse<C: Collection>(_ text: C) -> UInt64? where C.Element == UInt8 {
        let a = Array(text)
        guard a.count == 29, a[3] == ASCII.comma, a[4] == ASCII.sp, a[7] == ASCII.sp, a[11] == ASCII.sp,
              a[16] == ASCII.sp, a[19] == ASCII.colon, a[22] == ASCII.colon, a[25] == ASCII.sp,
              a[26...].elementsEqual("GMT".utf8),
              weekdays.contains(where: { a[0..<3].elementsEqual($0.utf8) }),
              let monthIndex = months.firstIndex(where: { a[8..<11].elementsEqual($0.utf8) }),
              let day = ASCII.parseDecimal(a[5..<7]), let year = ASCII.parseDecimal(a[12..<16]),
              let hour = ASCII.parseDecimal(a[17..<19]), let minute = ASCII.parseDecimal(a[20..<22]),
              let second = ASCII.parseDecimal(a[23..<25]),
              year >= 1970, hour < 24, minute < 60, second < 61, day >= 1,
              day <= UInt64(CivilDate.daysInMonth(year: Int64(year), month: monthIndex + 1))
        else { return nil }
        let days = CivilDate.toDays(year: Int64(year), month: monthIndex + 1, day: Int(day))
        return UInt64(days) * 86400 + hour * 3600 + minute * 60 + min(second, 59)
    }
}
