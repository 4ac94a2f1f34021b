# Sourced by bench scripts. ec_cert NAME KEY CRT: a self-signed ECDSA P-256 certificate for NAME (subject
# CN and subjectAltName), valid 30 days, written to the files KEY and CRT: the one certificate every TLS
# peer of a benchmark is given, so that they do the same handshake work.
ec_cert() {
  openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 30 -subj "/CN=$1" \
    -addext "subjectAltName=DNS:$1" -keyout "$2" -out "$3" 2>/dev/null
}
