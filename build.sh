#!/usr/bin/env bash
# Entry point for every build task (see build.cake). On a fresh Debian machine, run as root, it installs the system
# packages the tests and the demo need; otherwise it says exactly what to install.
set -euo pipefail
cd "$(dirname "$0")"

missing=()
command -v ansible-playbook >/dev/null 2>&1 || missing+=(ansible-core)
command -v ansible-lint >/dev/null 2>&1 || missing+=(ansible-lint)
command -v ssh >/dev/null 2>&1 || missing+=(openssh-client)

if [ ${#missing[@]} -gt 0 ]; then
  if [ "$(id -u)" -eq 0 ] && command -v apt-get >/dev/null 2>&1; then
    echo "build.sh: installing ${missing[*]}"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  else
    echo "build.sh: missing ${missing[*]}. Install them with:" >&2
    echo "  sudo apt-get install --no-install-recommends ${missing[*]}" >&2
    exit 1
  fi
fi

if ! command -v dotnet >/dev/null 2>&1; then
  echo "build.sh: the .NET 10 SDK is required (dotnet on PATH); see https://learn.microsoft.com/dotnet/core/install/linux-debian" >&2
  exit 1
fi

export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1
dotnet tool restore >/dev/null
exec dotnet cake build.cake "$@"
