#!/usr/bin/env bash
# Runs a command as N MPI ranks on this machine: usage run_ranks.sh N COMMAND [ARGS...].
# Root may run mpirun only when it says so; --oversubscribe lets N exceed the cores.
set -euo pipefail
ranks=$1
shift
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
# Shared memory and loopback TCP only: containers often lack the other transports' devices.
exec mpirun --oversubscribe -np "$ranks" --mca btl self,vader,tcp --mca btl_tcp_if_include lo \
  --mca oob_tcp_if_include lo "$@"
