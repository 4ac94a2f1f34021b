# Sourced by bench scripts. need COMMAND PACKAGE: installs Debian's PACKAGE (apt-get, quietly) when
# COMMAND is not on PATH, saying so.
need() { command -v "$1" >/dev/null || { echo "installing $2"; apt-get install -y -qq "$2" >/dev/null; }; }
