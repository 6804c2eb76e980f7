#!/usr/bin/env bash
# Installs every Debian 12 package that Spillway's build, tests and demo need (clang-16 and its
# libclang-rt-16-dev runtime only for the libFuzzer targets: scripts/fuzz.sh, .ci/run).
# Non-interactive and idempotent: packages already present are skipped by apt.
set -euo pipefail

packages=(
  build-essential cmake ninja-build ccache pkg-config git ca-certificates openssl
  libboost1.81-all-dev libssl-dev
  rapidjson-dev libsimdjson-dev
  librdkafka-dev librocksdb-dev
  catch2 libcli11-dev libtomlplusplus-dev libspdlog-dev libfmt-dev
  prometheus-cpp-dev libcivetweb-dev
  kcat curl procps
  tmux prometheus  # the terminal test of `spillway top`; the Prometheus scrape test
  clang-16 libclang-rt-16-dev
  lintian systemd file  # the package test (lintian, systemd-analyze, CPack's dpkg-shlibdeps)
)

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -eq 0 ]; then
  echo "install-deps: all ${#packages[@]} packages already installed"
  exit 0
fi

SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO="sudo"
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
echo "install-deps: installed ${missing[*]}"
