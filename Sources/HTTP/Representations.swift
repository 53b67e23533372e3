/// The response fields of a file that depend only on the file: its validators (ETag, Last-Modified)
/// and its Content-Type. Formatting them (three hex numbers, a date, a MIME look-up, eight small
/// arrays) was a visible share of every static-file request, and they change only when the file does,
/// so they are made once per file and reused while its identity, size and modification time match.
/// A class: handing one out is a single retain, not one per field.
final class Representation {
    let id: FileID
    let size: UInt64
    let modified: UInt64
    let name: [UInt8]
    let validators: Validators
    /// ETag and Last-Modified: what a 304 or 412 carries.
    let validatorFields: HTTPHeaders
    /// The validator fields, Content-Type and Accept-Ranges: what a 200 or 206 carries.
    let fields: HTTPHeaders
    /// Both as a response head writes them (`HTTPResponse.preparedFields`).
    let validatorFieldBytes: [UInt8], fieldBytes: [UInt8]

    init(_ info: FileInfo, named name: [UInt8], now: UInt64) {
        id = info.id; size = info.size; modified = info.modified; self.name = name
        validators = Validators(info, now: now)
        var headers = HTTPHeaders()
        headers.add("ETag", validators.etag)
        headers.add("Last-Modified", validators.lastModified)
        validatorFields = headers
        headers.add("Content-Type", MIMETypes.type(forPath: name))
        headers.add("Accept-Ranges", "bytes")
        fields = headers
        validatorFieldBytes = HTTPServer.fieldBytes(validatorFields)
        fieldBytes = HTTPServer.fieldBytes(fields)
    }

    func describes(_ info: FileInfo, named name: [UInt8]) -> Bool {
        info.id == id && info.size == size && info.modified == modified && name == self.name
    }
}

/// The server's bounded table of `Representation`s: direct-mapped by file id (a fixed array, no
/// hashing), so two files sharing a slot take turns. A file whose modification time is still in the
/// future is not kept: its Last-Modified is clamped to `now` (RFC 9110 §8.8.2.1) and so changes from
/// one second to the next.
final class Representations {
    static let slots = 64
    private var table = [Representation?](repeating: nil, count: Representations.slots)

    func representation(of info: FileInfo, named name: [UInt8], now: UInt64) -> Representation {
        let slot = Int(truncatingIfNeeded: info.id.value % UInt64(Representations.slots))
        if let known = table[slot], known.describes(info, named: name) { return known }
        let made = Representation(info, named: name, now: now)
        if info.modified <= now { table[slot] = made }
        return made
    }
}
