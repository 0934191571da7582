#!/usr/bin/env bash
# Installs what veche's tests and local runs need and that is not there yet, on a fresh
# Debian 12 machine that already has the Rust toolchain. Run it as root (or with sudo
# available). Nothing is downloaded when everything is present.
#
#   tests/install-deps.sh                         # everything below
#   tests/install-deps.sh postgresql nats-server  # only these
#
# Known names:
#   postgresql       the server the embedded cluster runs (/usr/lib/postgresql/<N>/bin)
#   nats-server      the message bus between veche nodes (/usr/sbin/nats-server)
#   coturn           the TURN server of the video rooms (turnserver)
#   iproute2         `ip`: the network namespaces of the test where browsers reach each other only through coturn
#   chromium         the browser of the end-to-end tests (/usr/bin/chromium)
#   chromium-driver  its WebDriver (/usr/bin/chromedriver)
#   nodejs           runs the browser tests' scripts (tests/web, playwright-core)
#   npm              installs their packages (npm ci in tests/web)
#   libssl-dev       OpenSSL headers: the web-push crate encrypts with it (openssl-sys builds against them)
#   python3-aiosmtpd the SMTP server the notification tests send to (/usr/bin/python3 -m aiosmtpd)
#   openssl          makes the certificates of the SMTP tests over STARTTLS and SMTPS
#   cargo-nextest    the test runner (`cargo install cargo-nextest --locked`)
#   cargo-machete    finds unused dependencies (`cargo install cargo-machete --locked`)
#   schemathesis     drives the HTTP API from its OpenAPI document (PyPI, with the pip of
#                    the python3 first on PATH)
set -euo pipefail

export DEBIAN_FRONTEND=noninteractive

ALL=(postgresql libssl-dev nats-server coturn iproute2 chromium chromium-driver nodejs npm python3-aiosmtpd openssl cargo-nextest cargo-machete schemathesis)

# The version the tests were written against (its CLI and checks change between releases).
SCHEMATHESIS_VERSION=4.32.5

# Succeeds when the named dependency is already installed.
present() {
    case "$1" in
        postgresql) compgen -G '/usr/lib/postgresql/*/bin/postgres' >/dev/null ;;
        nats-server) [ -x /usr/sbin/nats-server ] ;;
        coturn) command -v turnserver >/dev/null 2>&1 || [ -x /usr/bin/turnserver ] ;;
        iproute2) command -v ip >/dev/null 2>&1 || [ -x /usr/sbin/ip ] ;;
        chromium) [ -x /usr/bin/chromium ] ;;
        chromium-driver) [ -x /usr/bin/chromedriver ] ;;
        nodejs) command -v node >/dev/null 2>&1 ;;
        npm) command -v npm >/dev/null 2>&1 ;;
        libssl-dev) [ -f /usr/include/openssl/ssl.h ] && command -v pkg-config >/dev/null 2>&1 ;;
        python3-aiosmtpd) /usr/bin/python3 -c 'import aiosmtpd' >/dev/null 2>&1 ;;
        openssl) command -v openssl >/dev/null 2>&1 ;;
        cargo-nextest) cargo nextest --version >/dev/null 2>&1 ;;
        cargo-machete) command -v cargo-machete >/dev/null 2>&1 ;;
        schemathesis) python3 -c "import schemathesis, sys; sys.exit(schemathesis.__version__ != '$SCHEMATHESIS_VERSION')" >/dev/null 2>&1 ;;
        *)
            echo "install-deps.sh: unknown dependency '$1' (known: ${ALL[*]})" >&2
            exit 2
            ;;
    esac
}

if [ "$#" -gt 0 ]; then
    wanted=("$@")
else
    wanted=("${ALL[@]}")
fi

# Sort what is missing into Debian packages and the cargo-installed runner.
missing_packages=()
want_nextest=false
want_machete=false
want_schemathesis=false
for dependency in "${wanted[@]}"; do
    if present "$dependency"; then
        continue
    fi
    if [ "$dependency" = cargo-nextest ]; then
        want_nextest=true
    elif [ "$dependency" = cargo-machete ]; then
        want_machete=true
    elif [ "$dependency" = schemathesis ]; then
        want_schemathesis=true
        # pip itself, where the python3 on PATH is Debian's without it.
        python3 -m pip --version >/dev/null 2>&1 || missing_packages+=(python3-pip)
    else
        missing_packages+=("$dependency")
        # openssl-sys finds OpenSSL through pkg-config.
        [ "$dependency" = libssl-dev ] && missing_packages+=(pkg-config)
    fi
done

if [ "${#missing_packages[@]}" -gt 0 ]; then
    # apt needs root; use sudo when we are not root and it is there.
    as_root=()
    if [ "$(id -u)" -ne 0 ]; then
        if command -v sudo >/dev/null 2>&1; then
            as_root=(sudo --preserve-env=DEBIAN_FRONTEND)
        else
            echo "install-deps.sh: missing ${missing_packages[*]}, and installing needs root (or sudo)" >&2
            exit 1
        fi
    fi
    echo "install-deps.sh: installing ${missing_packages[*]}"
    # The package lists of a fresh machine are empty, so update them first (only now
    # that something is to be installed).
    "${as_root[@]}" apt-get update
    "${as_root[@]}" apt-get install -y --no-install-recommends "${missing_packages[@]}"
fi

if [ "$want_nextest" = true ]; then
    echo "install-deps.sh: installing cargo-nextest (cargo install cargo-nextest --locked)"
    cargo install cargo-nextest --locked
fi

if [ "$want_machete" = true ]; then
    echo "install-deps.sh: installing cargo-machete (cargo install cargo-machete --locked)"
    cargo install cargo-machete --locked
fi

if [ "$want_schemathesis" = true ]; then
    echo "install-deps.sh: installing schemathesis $SCHEMATHESIS_VERSION (pip)"
    # Debian's own python3 refuses to install beside its packages unless told to (PEP 668).
    python3 -m pip install --quiet --break-system-packages "schemathesis==$SCHEMATHESIS_VERSION" 2>/dev/null \
        || python3 -m pip install --quiet "schemathesis==$SCHEMATHESIS_VERSION"
fi

if [ "${#missing_packages[@]}" -eq 0 ] && [ "$want_nextest" = false ] && [ "$want_machete" = false ] && [ "$want_schemathesis" = false ]; then
    echo "install-deps.sh: all present (${wanted[*]})"
fi
