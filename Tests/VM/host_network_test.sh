#!/usr/bin/env bash
# The network checks of vm_network_test.sh against the hosted runner (the appliance as a Linux process
# on a tap device) instead of the VM: Scripts/test runs every *_test.sh without arguments.
exec bash "$(dirname "$0")/vm_network_test.sh" --host
