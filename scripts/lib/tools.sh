# Sourced by the scripts that need a pizza binary or the OTLP receiver's Python packages.

# release_pizza: sets $pizza to PIZZA_BIN, or builds this checkout in release mode and uses that
# (benchmarks measure release builds).
release_pizza() {
  pizza=${PIZZA_BIN:-}
  if [ -z "$pizza" ]; then
    swift build -c release --product pizza >&2
    pizza="$(swift build -c release --show-bin-path)/pizza"
  fi
}

# otlp_venv: sets $venv to a virtual environment (OTLP_VENV, default .services/otlp) holding
# opentelemetry-proto from PyPI, for scripts/lib/otlp_receiver.py; installs it on first use.
otlp_venv() {
  venv=${OTLP_VENV:-$root/.services/otlp}
  "$venv/bin/python" -c 'import opentelemetry.proto' 2>/dev/null && return 0
  if ! python3 -c 'import ensurepip, venv' 2>/dev/null; then
    [ "$(id -u)" = 0 ] || { echo "python3 with venv is missing: apt-get install -y python3 python3-venv" >&2; return 1; }
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq python3 python3-venv >/dev/null
  fi
  echo "installing opentelemetry-proto into $venv" >&2
  python3 -m venv "$venv"
  "$venv/bin/pip" install -q --disable-pip-version-check "opentelemetry-proto>=1.27,<2"
}
