#!/usr/bin/env bash
# The README's test command: installs the Debian packages, builds, and runs every test with ctest
# (unit tests and the integration tests that start the X API emulator and the Kafka mock broker).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-deps.sh
# CI=true (set by CI systems and by .ci/run): warnings are errors (a user's build only prints them), and
# debug information is line tables only (-g1: file:line in every backtrace, a sixth less compile time).
if [ "${CI:-}" = true ]; then
  bash scripts/build.sh -DSPILLWAY_WERROR=ON -DCMAKE_CXX_FLAGS_RELWITHDEBINFO="-O2 -g1 -DNDEBUG"
else
  bash scripts/build.sh
fi
# Integration tests start their own emulator/broker processes on 127.0.0.1 with free ports, so two run
# side by side safely; more would only fight over the two cores.
ctest --test-dir build --output-on-failure -j2 --timeout 900
