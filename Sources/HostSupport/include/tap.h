#pragma once
/* Attaches `fd` (an open /dev/net/tun) to the tap device `name` without packet-info headers.
   Returns 0 or -errno. (ioctl is variadic, which Swift cannot call.) */
int host_tap_attach(int fd, const char *name);
