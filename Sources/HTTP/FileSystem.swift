import Bytes

/// A file's identity inside one file system (an inode number for ext2).
public struct FileID: Hashable {
    public var value: UInt64
    public init(_ value: UInt64) { self.value = value }
}

public enum FileKind { case regular, directory }

/// What the server needs to know about a file to answer for it.
public struct FileInfo {
    public var id: FileID
    public var kind: FileKind
    public var size: UInt64
    /// Modification time, seconds since the Unix epoch.
    public var modified: UInt64

    public init(id: FileID, kind: FileKind, size: UInt64, modified: UInt64) {
        self.id = id; self.kind = kind; self.size = size; self.modified = modified
    }
}

/// Outcome of resolving a path.
public enum FileLookup {
    case found(FileInfo)
    case notFound
    /// A component before the last is not a directory.
    case notADirectory
    /// The answer needs blocks the disk is still fetching: ask again later.
    case wouldBlock
    /// The on-disk structures are inconsistent.
    case corrupt
}

/// Outcome of reading file content.
public enum FileRead {
    /// `count` bytes were written to the start of the destination (0 only at end of file).
    case ok(Int)
    case wouldBlock
    case corrupt
}

/// The document root as the server sees it: read-only, asynchronous (any call may answer "would
/// block", and the server asks again on its next callback or poll), never trusted (corrupt is a
/// result, not a crash). Paths arrive percent-decoded and normalised: absolute, "/"-separated, no "."
/// or ".." segments, no empty segments, no NUL. Resolving symbolic links, and keeping them inside the
/// root, is the file system's job.
public protocol FileSystem: AnyObject {
    func lookup(_ path: [UInt8]) -> FileLookup
    func read(_ file: FileID, offset: UInt64, into destination: MutableByteView) -> FileRead
}
