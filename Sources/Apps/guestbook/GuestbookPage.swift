import HTTP

/// The guestbook's HTML: every visitor-supplied byte goes through `HTML.escape`.
enum GuestbookPage {
    static let head = "<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\"><title>Guestbook</title></head><body>\n"
    static let tail = "</body></html>\n"

    static func front(entries: [Guestbook.Entry], visitor: [UInt8]?) -> HTTPResponse {
        var page = head + "<h1>Guestbook</h1>\n"
        if let visitor { page += "<p class=\"welcome\">Welcome back, \(text(visitor))!</p>\n" }
        page += "<form method=\"post\" action=\"/sign\">\n<p><label>Name <input name=\"name\" maxlength=\"\(Guestbook.maxNameBytes)\" required></label></p>\n"
            + "<p><label>Message <textarea name=\"message\" maxlength=\"\(Guestbook.maxMessageBytes)\" required></textarea></label></p>\n"
            + "<p><button>Sign</button></p>\n</form>\n<ol class=\"entries\">\n"
        for entry in entries.reversed() {
            page += "<li><strong>\(text(entry.name))</strong>: \(text(entry.message))</li>\n"
        }
        return html(page + "</ol>\n" + tail)
    }

    /// `token`: base64url, so it needs no escaping.
    static func admin(entries: [Guestbook.Entry], token: String) -> HTTPResponse {
        var page = head + "<h1>Guestbook admin</h1>\n<p>\(entries.count) entries, newest first.</p>\n<ol>\n"
        for entry in entries.reversed() {
            page += "<li><strong>\(text(entry.name))</strong>: \(text(entry.message))"
                + " <form method=\"post\" action=\"/admin/delete\"><input type=\"hidden\" name=\"id\" value=\"\(entry.id)\"><input type=\"hidden\" name=\"token\" value=\"\(token)\"><button>Delete</button></form></li>\n"
        }
        var response = html(page + "</ol>\n" + tail)
        response.headers.add("X-Frame-Options", "DENY")     // no clicking Delete through a frame on another site
        return response
    }

    static func text(_ bytes: [UInt8]) -> String { HTML.escape(String(decoding: bytes, as: UTF8.self)) }

    /// Never cached: the page changes with every entry and greets by cookie.
    static func html(_ page: String) -> HTTPResponse {
        var response = HTTPResponse(contentType: "text/html; charset=utf-8", text: page)
        response.headers.add("Cache-Control", "no-store")
        return response
    }
}
