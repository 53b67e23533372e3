/// Why form content could not be read.
public enum FormError: Error, Equatable {
    /// Not a form of the kind asked for (wrong or missing Content-Type).
    case notAForm
    /// A %-escape that is not two hex digits.
    case malformedEscape
    case tooManyFields
    /// The multipart boundary is missing or longer than RFC 2046 allows.
    case badBoundary
    /// Multipart framing is broken (missing delimiter, part headers, closing delimiter).
    case malformedMultipart
    /// A part's header section is over `FormLimits.maxPartHeaderBytes`.
    case partHeadersTooLarge
}

/// Limits on parsed forms (the body itself is already bounded by `HTTPLimits.maxBodyBytes`).
public struct FormLimits {
    /// Name/value pairs in a urlencoded form or query, and parts in a multipart body.
    public var maxFields: Int = 256
    /// Bytes of one part's header section.
    public var maxPartHeaderBytes: Int = 2048

    public init() {}
}

/// Name/value pairs, in order; names may repeat.
public struct FormFields {
    public var pairs: [(name: [UInt8], value: [UInt8])] = []

    public init() {}

    /// The first value for `name`, as text.
    public subscript(name: String) -> String? {
        for p in pairs where p.name.elementsEqual(name.utf8) { return String(decoding: p.value, as: UTF8.self) }
        return nil
    }

    public func values(_ name: String) -> [[UInt8]] {
        pairs.filter { $0.name.elementsEqual(name.utf8) }.map { $0.value }
    }

    /// application/x-www-form-urlencoded (WHATWG URL §5.1): "&"-separated, "+" is a space, %XX escapes.
    public static func parseURLEncoded<C: Collection>(_ bytes: C, limits: FormLimits = FormLimits())
        throws(FormError) -> FormFields where C.Element == UInt8 {
        var fields = FormFields()
        for piece in Array(bytes).split(separator: 0x26) {
            if fields.pairs.count == limits.maxFields { throw .tooManyFields }
            let eq = piece.firstIndex(of: ASCII.equals)
            let name = try decode(eq.map { piece[..<$0] } ?? piece[...])
            let value = try decode(eq.map { piece[($0 + 1)...] } ?? [][...])
            fields.pairs.append((name, value))
        }
        return fields
    }

    static func decode(_ bytes: ArraySlice<UInt8>) throws(FormError) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(bytes.count)
        var i = bytes.startIndex
        while i < bytes.endIndex {
            let b = bytes[i]
            if b == 0x2B {
                out.append(ASCII.sp); i += 1
            } else if b == ASCII.percent {
                guard i + 2 < bytes.endIndex, let hi = ASCII.hexValue(bytes[i + 1]), let lo = ASCII.hexValue(bytes[i + 2]) else {
                    throw .malformedEscape
                }
                out.append(hi << 4 | lo); i += 3
            } else {
                out.append(b); i += 1
            }
        }
        return out
    }
}

extension HTTPRequest {
    /// The query string's fields.
    public func queryFields(limits: FormLimits = FormLimits()) throws(FormError) -> FormFields {
        try FormFields.parseURLEncoded(query, limits: limits)
    }

    /// The body's fields, when it is application/x-www-form-urlencoded.
    public func formFields(limits: FormLimits = FormLimits()) throws(FormError) -> FormFields {
        guard let type = headers.first("Content-Type"),
              ASCII.equalsIgnoringCase(MediaType.essence(type), "application/x-www-form-urlencoded") else {
            throw .notAForm
        }
        return try FormFields.parseURLEncoded(body, limits: limits)
    }
}

/// Media-type fields: "type/subtype; name=value; name=\"quoted\"" (RFC 9110 §8.3.1).
enum MediaType {
    /// "type/subtype", trimmed.
    static func essence(_ value: [UInt8]) -> ArraySlice<UInt8> {
        let end = value.firstIndex(of: ASCII.semicolon) ?? value.endIndex
        return ASCII.trimmed(value[..<end])
    }

    /// A parameter's value (name case-insensitive), unquoted.
    static func parameter(_ value: [UInt8], _ name: String) -> [UInt8]? {
        parameters(value[...]).first { ASCII.equalsIgnoringCase($0.name, name) }?.value
    }

    /// `; name=value` pairs after the first element; quoted values have their quotes and escapes
    /// removed. Semicolons inside quotes do not split.
    static func parameters(_ value: ArraySlice<UInt8>) -> [(name: [UInt8], value: [UInt8])] {
        var out: [(name: [UInt8], value: [UInt8])] = []
        var i = value.startIndex
        while i < value.endIndex, value[i] != ASCII.semicolon { i += 1 }
        while i < value.endIndex {
            i += 1   // past ";"
            while i < value.endIndex, ASCII.isWhitespace(value[i]) { i += 1 }
            var name: [UInt8] = []
            while i < value.endIndex, value[i] != ASCII.equals, value[i] != ASCII.semicolon { name.append(value[i]); i += 1 }
            var v: [UInt8] = []
            if i < value.endIndex, value[i] == ASCII.equals {
                i += 1
                if i < value.endIndex, value[i] == ASCII.quote {
                    i += 1
                    while i < value.endIndex, value[i] != ASCII.quote {
                        if value[i] == 0x5C, i + 1 < value.endIndex { i += 1 }
                        v.append(value[i]); i += 1
                    }
                    if i < value.endIndex { i += 1 }
                    while i < value.endIndex, value[i] != ASCII.semicolon { i += 1 }
                } else {
                    while i < value.endIndex, value[i] != ASCII.semicolon { v.append(value[i]); i += 1 }
                    v = Array(ASCII.trimmed(v[...]))
                }
            }
            let trimmedName = Array(ASCII.trimmed(name[...]))
            if !trimmedName.isEmpty { out.append((trimmedName, v)) }
        }
        return out
    }
}
