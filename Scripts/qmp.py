#!/usr/bin/env python3
"""Sends one command to a QEMU machine protocol (QMP) socket and prints QEMU's answer.

    Scripts/qmp.py SOCKET COMMAND [ARGUMENTS]   e.g. system_powerdown, quit, query-status;
                                                ARGUMENTS a JSON object, e.g. for send-key
                                                '{"keys": [{"type": "qcode", "data": "ctrl"}, ...]}'

Used by Scripts/run (Ctrl-C) and Scripts/stop. Exit status: 0 QEMU accepted the command, 1 QEMU
answered with an error, 3 nothing listens on the socket (the VM is not running)."""
import json
import socket
import sys

TIMEOUT_S = 5


def read_message(stream):
    """The next line that is a reply or an error (QMP interleaves asynchronous events)."""
    for line in stream:
        message = json.loads(line)
        if "return" in message or "error" in message or "QMP" in message:
            return message
    raise ConnectionError("QEMU closed the socket")


def main():
    if len(sys.argv) not in (3, 4):
        sys.exit(__doc__)
    path, command = sys.argv[1], sys.argv[2]
    arguments = json.loads(sys.argv[3]) if len(sys.argv) == 4 else None
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    sock.settimeout(TIMEOUT_S)
    try:
        sock.connect(path)
    except OSError as error:
        print(f"qmp: no QEMU listening on {path} ({error.strerror})", file=sys.stderr)
        sys.exit(3)
    stream = sock.makefile("r")
    read_message(stream)                                  # the greeting
    for execute, args in (("qmp_capabilities", None), (command, arguments)):
        message = {"execute": execute} if args is None else {"execute": execute, "arguments": args}
        sock.sendall(json.dumps(message).encode() + b"\n")
        try:
            reply = read_message(stream)
        except ConnectionError:
            if execute == "quit":                          # QEMU may close before it answers
                return
            raise
        if "error" in reply:
            print(f"qmp: {execute}: {reply['error'].get('desc', reply['error'])}", file=sys.stderr)
            sys.exit(1)
    if reply.get("return"):
        print(json.dumps(reply["return"]))


if __name__ == "__main__":
    main()
