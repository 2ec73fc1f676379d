#!/usr/bin/env bash
# Builds everything: first the registry-gap shim (nuget.config maps Patched.DistributedLock.Core to the folder it
# packs into), then the solution. Usage: infra/build.sh [Configuration]   (default Release)
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
configuration=${1:-Release}
cd "$root"
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1
if [ ! -f infra/registry-shim/packages/Patched.DistributedLock.Core.1.0.11.nupkg ]; then
  dotnet pack infra/registry-shim/Patched.DistributedLock.Core.csproj -c Release --nologo -v quiet
fi
dotnet build Escalation.Platform.sln -c "$configuration" --nologo -v quiet
