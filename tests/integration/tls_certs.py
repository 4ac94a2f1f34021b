"""Certificates made by the tests (python `cryptography`): a private CA, leaf certificates with SANs
(wildcards too), expired ones, keys that do not match, and Traefik v2's acme.json layout."""
import base64
import datetime
import json

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID


def _pem_key(key):
    return key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                             serialization.NoEncryption())


class CA:
    def __init__(self, name="stoep test CA"):
        self.key = ec.generate_private_key(ec.SECP256R1())
        subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)])
        now = datetime.datetime.now(datetime.timezone.utc)
        self.cert = (x509.CertificateBuilder().subject_name(subject).issuer_name(subject)
                     .public_key(self.key.public_key()).serial_number(x509.random_serial_number())
                     .not_valid_before(now - datetime.timedelta(days=1)).not_valid_after(now + datetime.timedelta(days=30))
                     .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
                     .sign(self.key, hashes.SHA256()))

    @property
    def pem(self):
        return self.cert.public_bytes(serialization.Encoding.PEM)

    def issue(self, names, days=30, expired=False, ips=()):
        """(cert PEM with the CA appended as chain, key PEM) for DNS `names` (and IP addresses `ips`)."""
        import ipaddress
        key = ec.generate_private_key(ec.SECP256R1())
        now = datetime.datetime.now(datetime.timezone.utc)
        start, end = (now - datetime.timedelta(days=10), now - datetime.timedelta(days=1)) if expired else \
            (now - datetime.timedelta(hours=1), now + datetime.timedelta(days=days))
        sans = [x509.DNSName(n) for n in names] + [x509.IPAddress(ipaddress.ip_address(i)) for i in ips]
        cert = (x509.CertificateBuilder()
                .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, (list(names) or list(ips))[0])]))
                .issuer_name(self.cert.subject).public_key(key.public_key())
                .serial_number(x509.random_serial_number()).not_valid_before(start).not_valid_after(end)
                .add_extension(x509.SubjectAlternativeName(sans), critical=False)
                .sign(self.key, hashes.SHA256()))
        return cert.public_bytes(serialization.Encoding.PEM) + self.pem, _pem_key(key)

    def write(self, directory, stem, names, **kw):
        cert, key = self.issue(names, **kw)
        c, k = directory / f"{stem}.crt", directory / f"{stem}.key"
        c.write_bytes(cert)
        k.write_bytes(key)
        return c, k


def other_key():
    return _pem_key(ec.generate_private_key(ec.SECP256R1()))


def acme_json(resolver, entries):
    """Traefik v2/v3 acme.json: `entries` is a list of (main, sans, cert PEM, key PEM)."""
    certs = [{"domain": {"main": main, "sans": sans},
              "certificate": base64.b64encode(cert).decode(), "key": base64.b64encode(key).decode(),
              "Store": "default"} for main, sans, cert, key in entries]
    return json.dumps({resolver: {"Account": {"Email": "admin@example.org", "Registration": None,
                                              "PrivateKey": "", "KeyType": "4096"},
                                  "Certificates": certs}}, indent=2)


def subject_cn(der):
    cert = x509.load_der_x509_certificate(der)
    return cert.subject.get_attributes_for_oid(NameOID.COMMON_NAME)[0].value


def san_names(der):
    cert = x509.load_der_x509_certificate(der)
    try:
        return cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value.get_values_for_type(x509.DNSName)
    except x509.ExtensionNotFound:
        return []
