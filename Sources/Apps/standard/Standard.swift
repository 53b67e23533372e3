import HTTP

/// The standard appliance: the files of the disk (or the welcome page) and the built-in pages, nothing
/// added. `Scripts/build` links it when no `--app` is given, into build/kernel.elf.
public let application = Application.standard
