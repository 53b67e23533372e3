#include "tap.h"
#include <errno.h>
#include <linux/if.h>
#include <linux/if_tun.h>
#include <string.h>
#include <sys/ioctl.h>

int host_tap_attach(int fd, const char *name) {
    struct ifreq request;
    memset(&request, 0, sizeof request);
    strncpy(request.ifr_name, name, IFNAMSIZ - 1);
    request.ifr_flags = IFF_TAP | IFF_NO_PI;
    if (ioctl(fd, TUNSETIFF, &request) != 0) return -errno;
    /* A persistent tap keeps the offloads its last user (a QEMU whose guest took GUEST_CSUM) set; without
       vnet headers every frame we read must be complete, so switch them off. */
    return ioctl(fd, TUNSETOFFLOAD, 0) == 0 ? 0 : -errno;
}
