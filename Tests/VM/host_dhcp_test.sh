#!/usr/bin/env bash
# The DHCP scenarios of dhcp_test.sh against the hosted runner (the appliance as a Linux process on a
# tap device) instead of the VM: Scripts/test runs every *_test.sh without arguments.
GUEST=host exec bash "$(dirname "$0")/dhcp_test.sh"
