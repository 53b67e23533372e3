/// The field names clients send most, each made into bytes once. A parsed name that is byte for byte one
/// of these shares that array instead of allocating a copy of its own: one allocation fewer per field
/// (a browser sends a dozen), and the client's spelling is kept exactly, since only an exact match is
/// shared.
enum CommonFieldNames {
    /// One literal split at spaces (an array of String literals cost kilobytes of image).
    static let table: [[UInt8]] = {
        let names: StaticString = """
            Host User-Agent Accept Accept-Encoding Accept-Language Connection Cache-Control Pragma \
            Upgrade-Insecure-Requests Referer Origin Cookie Authorization Range If-None-Match \
            If-Modified-Since If-Match If-Range Content-Length Content-Type Expect Priority \
            Sec-Fetch-Site Sec-Fetch-Mode Sec-Fetch-Dest Sec-Fetch-User
            """
        var table: [[UInt8]] = [[]]
        names.withUTF8Buffer { bytes in
            for b in bytes {
                if b == UInt8(ascii: " ") { table.append([]) } else { table[table.count - 1].append(b) }
            }
        }
        return table
    }()

    /// The shared array equal to `name`, or nil.
    static func shared(_ name: ArraySlice<UInt8>) -> [UInt8]? {
        search: for candidate in table where candidate.count == name.count {
            var i = name.startIndex
            for b in candidate {
                if b != name[i] { continue search }
                i += 1
            }
            return candidate
        }
        return nil
    }
}
