import KernelSupport
import Bytes

/// The COM1 UART (16550) at I/O port 0x3F8: the console. Polled, never interrupt-driven, so it works
/// from the first instruction of kmain, from exception handlers, and in a panic.
enum Serial {
    static let port: UInt16 = 0x3F8
    private static let lineStatus: UInt16 = port + 5
    private static let transmitEmpty: UInt8 = 0x20

    static func initialize() {
        outb(port + 1, 0x00)      // no UART interrupts
        outb(port + 3, 0x80)      // divisor latch on
        outb(port + 0, 0x01)      // 115200 baud
        outb(port + 1, 0x00)
        outb(port + 3, 0x03)      // 8 data bits, no parity, one stop bit
        outb(port + 2, 0xC7)      // FIFO on, cleared, 14-byte threshold
        outb(port + 4, 0x03)      // DTR and RTS
    }

    /// Bytes the transmit FIFO can still take without asking the UART. Every port access is a VM exit
    /// under emulation, so the line status is read once per FIFO's worth (16 bytes on a 16550A) rather
    /// than once per byte.
    nonisolated(unsafe) private static var fifoRoom = 0
    private static let fifoSize = 16

    static func write(_ byte: UInt8) {
        if fifoRoom == 0 {
            // Bounded wait: a missing or wedged UART must not hang the kernel.
            var spins = 0
            while inb(lineStatus) & transmitEmpty == 0 && spins < 100_000 { spins += 1 }
            fifoRoom = fifoSize      // THR empty with FIFOs enabled: the whole FIFO is free
        }
        fifoRoom -= 1
        outb(port, byte)
    }

    /// A console byte: a newline goes out as CR LF.
    @inline(never)
    static func putConsoleByte(_ byte: UInt8) {
        if byte == 10 { write(13) }
        write(byte)
    }

    /// Straight to the UART, bypassing the log ring (panics, exception reports, print()): whatever the
    /// ring still holds goes first, so the report follows everything logged before it.
    @inline(never)      // called from many formatting sites: one copy, not one per call
    static func putDirect(_ byte: UInt8) {
        Console.flush()
        putConsoleByte(byte)
    }

    /// Waits (bounded) until the UART has sent every byte, FIFO and shift register: before power-off,
    /// so the last console lines are not lost with the machine.
    static func drain() {
        var spins = 0
        while inb(lineStatus) & transmitterIdle == 0 && spins < 1_000_000 { spins += 1 }
        fifoRoom = fifoSize
    }
    private static let transmitterIdle: UInt8 = 0x40
}

/// Writes that bypass the ring, as a sink for formatting (`Log.Raw`).
struct DirectConsole: ByteSink {
    mutating func put(_ byte: UInt8) { Serial.putDirect(byte) }
}

/// print() in Embedded Swift ends in putchar (Boot/runtime.c), which lands here.
@_cdecl("console_put_byte")
func consolePutByte(_ byte: UInt8) {
    Serial.putDirect(byte)
}
