/// A path being resolved, and how far it has got. Paths are relative to the image root, which is "/"
/// (a leading slash is optional); "." and ".." work, ".." at the root stays at the root, and symlinks
/// (absolute targets restart at the image root, relative ones at the link's directory) are followed up
/// to `maximumSymlinkFollows` times, so no path can leave the image or loop.
///
/// Keep the value across `.wouldBlock`: each retry resumes at the component (and the directory block)
/// where the previous attempt stopped.
public struct PathLookup {
    public static let maximumPathLength = 4096
    public static let maximumSymlinkFollows = 8
    /// Components resolved per lookup, across all symlink expansions: every expansion is at most
    /// `maximumPathLength` bytes and each component takes at least one, plus one step per link.
    static let maximumSteps = (maximumSymlinkFollows + 1) * (maximumPathLength + 2)

    static let slash = UInt8(ascii: "/")
    static let dot = UInt8(ascii: ".")

    /// Whether a symlink named by the last component is followed (true) or returned itself.
    public let followFinalSymlink: Bool
    /// The resolved inode, once found.
    public internal(set) var result: Ext2Inode?

    /// What remains to resolve is path[position...].
    var path: [UInt8]
    var position = 0
    /// Where the next component is looked up; nil until the root (or, after an absolute link, the root
    /// again) has been loaded.
    var directory: Ext2Inode?
    var cursor = DirectoryCursor()
    /// The next component's inode number, found but not yet loaded (0 for none).
    var found: UInt32 = 0
    /// A symlink met on the way, whose target is being read.
    var link: Ext2Inode?
    var follows = 0
    var steps = 0

    public init(path: [UInt8], followFinalSymlink: Bool = true) {
        self.path = path
        self.followFinalSymlink = followFinalSymlink
    }

    /// True when only slashes remain.
    var atEnd: Bool {
        var i = position
        while i < path.count {
            if path[i] != PathLookup.slash { return false }
            i += 1
        }
        return true
    }
}

extension Ext2Volume {
    /// Resolves `lookup.path` to an inode. Throws `.wouldBlock` with the progress kept in `lookup`.
    public func resolve(_ lookup: inout PathLookup) throws(Ext2Error) -> Ext2Inode {
        try counted { () throws(Ext2Error) -> Ext2Inode in try step(&lookup) }
    }

    private func step(_ l: inout PathLookup) throws(Ext2Error) -> Ext2Inode {
        if let done = l.result { return done }
        guard l.path.count <= PathLookup.maximumPathLength else { throw .pathTooLong }
        // Only completed steps count: a `.wouldBlock` retry repeats a step, it does not add one.
        while l.steps < PathLookup.maximumSteps {
            if let found = try advance(&l) { return found }
            l.steps += 1
        }
        throw .pathTooLong
    }

    /// One step of a lookup: load the root, follow a link, load a found inode, or find one component.
    /// Returns the result when the path is resolved, nil when there is more to do.
    private func advance(_ l: inout PathLookup) throws(Ext2Error) -> Ext2Inode? {
        guard let directory = l.directory else {
            l.directory = try loadInode(Superblock.rootInode)
            guard l.directory?.fileType == .directory else { throw .notADirectory }
            return nil
        }

        if let link = l.link {
            let target = try linkTarget(link)
            l.follows += 1
            guard l.follows <= PathLookup.maximumSymlinkFollows else { throw .tooManySymlinks }
            var expanded = target
            if l.position < l.path.count {  // the rest, including a lone trailing slash
                expanded.append(PathLookup.slash)
                expanded.append(contentsOf: l.path[l.position...])
            }
            guard expanded.count <= PathLookup.maximumPathLength else { throw .pathTooLong }
            l.path = expanded
            l.position = 0
            l.link = nil
            // Relative targets continue in the link's directory; absolute ones at the image root.
            if target.first == PathLookup.slash { l.directory = nil }
            return nil
        }

        if l.found != 0 {
            let node = try loadInode(l.found)
            l.found = 0
            l.cursor = DirectoryCursor()
            let last = l.atEnd
            // A trailing slash ("dir/") demands a directory, so it also forces the final link.
            let trailingSlash = last && l.position < l.path.count
            if node.fileType == .symlink && (!last || l.followFinalSymlink || trailingSlash) {
                l.link = node
                return nil
            }
            if last && !(trailingSlash && node.fileType != .directory) {
                l.result = node
                return node
            }
            guard node.fileType == .directory else { throw .notADirectory }
            l.directory = node
            return nil
        }

        while l.position < l.path.count && l.path[l.position] == PathLookup.slash { l.position += 1 }
        if l.position == l.path.count {
            l.result = directory
            return directory
        }
        var end = l.position
        while end < l.path.count && l.path[end] != PathLookup.slash { end += 1 }
        let name = l.path[l.position..<end]
        if name.count == 1 && name.first == PathLookup.dot {
            l.position = end
            return nil
        }
        // The root is its own parent: nothing above the image is reachable.
        if name.count == 2 && name.allSatisfy({ $0 == PathLookup.dot }) && directory.number == Superblock.rootInode {
            l.position = end
            return nil
        }
        guard name.count <= Ext2Volume.maximumNameLength else { throw .nameTooLong }
        guard let number = try find(name, in: directory, cursor: &l.cursor) else { throw .notFound }
        l.found = number
        l.position = end
        return nil
    }
}
