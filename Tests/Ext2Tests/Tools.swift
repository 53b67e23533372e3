import Foundation
import Testing

/// A required external tool (e2fsprogs, genext2fs) that is missing: the test fails saying so.
struct MissingTool: Error, CustomStringConvertible {
    let name: String
    let package: String
    var description: String { "\(name) not found: install it (apt-get install \(package)) to run the ext2 differential tests" }
}

struct ToolFailed: Error, CustomStringConvertible {
    let command: String
    let status: Int32
    let output: String
    var description: String { "\(command) exited \(status): \(output)" }
}

/// Path of an executable, searching PATH and the sbin directories e2fsprogs installs into.
func tool(_ name: String, package: String) throws -> String {
    let path = ProcessInfo.processInfo.environment["PATH"] ?? ""
    let dirs = path.split(separator: ":").map(String.init) + ["/usr/sbin", "/sbin", "/usr/bin", "/bin"]
    for dir in dirs where FileManager.default.isExecutableFile(atPath: dir + "/" + name) {
        return dir + "/" + name
    }
    throw MissingTool(name: name, package: package)
}

/// Runs a command to completion; returns (status, combined output).
@discardableResult
func run(_ executable: String, _ arguments: [String], check: Bool = true) throws -> (status: Int32, output: String) {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: executable)
    process.arguments = arguments
    let pipe = Pipe()
    process.standardOutput = pipe
    process.standardError = pipe
    try process.run()
    let data = pipe.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    let output = String(decoding: data, as: UTF8.self)
    if check && process.terminationStatus != 0 {
        throw ToolFailed(command: ([executable] + arguments).joined(separator: " "), status: process.terminationStatus, output: output)
    }
    return (process.terminationStatus, output)
}

/// The package root (this file is Tests/Ext2Tests/Tools.swift).
let packageRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().path

/// Removes the scratch directories of test processes that have exited (images are tens of MiB).
let staleScratchRemoved: Bool = {
    let temp = FileManager.default.temporaryDirectory.path
    for name in (try? FileManager.default.contentsOfDirectory(atPath: temp)) ?? [] where name.hasPrefix("ext2tests-") {
        let pid = name.dropFirst("ext2tests-".count).prefix { $0.isNumber }
        if let pid = Int32(pid), pid != getpid(), kill(pid, 0) != 0, errno == ESRCH {
            try? FileManager.default.removeItem(atPath: temp + "/" + name)
        }
    }
    return true
}()

/// A fresh scratch directory for this test process.
func scratchDirectory(_ name: String) throws -> String {
    _ = staleScratchRemoved
    let dir = FileManager.default.temporaryDirectory.appendingPathComponent("ext2tests-\(getpid())-\(name)").path
    try? FileManager.default.removeItem(atPath: dir)
    try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
    return dir
}
