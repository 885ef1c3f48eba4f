"""A throwaway PKI made with the openssl command: one CA and leaf certificates signed by it."""
from __future__ import annotations

import os
from pathlib import Path

from snifharness.process import run


def _newkey(key: str) -> list[str]:
    if key == "rsa":
        return ["-newkey", "rsa:2048"]
    if key == "ec":
        return ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256"]
    raise ValueError(f"key type {key!r}: 'rsa' or 'ec'")


class Pki:
    """A CA and one leaf certificate per name (chain length 1: leaf signed by the CA).

    `key` is the key type of the CA and the default of the leaves ("rsa": RSA 2048, "ec":
    P-256). Every file is readable and the directory traversable, so that an apache2 child
    running as www-data (or a whole server started as www-data) can read them: throwaway keys."""

    def __init__(self, directory: Path, key: str = "rsa",
                 subject: str = "mod_snifallback test CA"):
        self.dir = directory
        self.dir.mkdir(parents=True, exist_ok=True)
        os.chmod(self.dir, 0o755)
        self.key = key
        self.ca_key = self.dir / "ca.key"
        self.ca_cert = self.dir / "ca.pem"
        run(["openssl", "req", "-x509", *_newkey(key), "-nodes", "-days", "2",
             "-subj", f"/CN={subject}", "-keyout", str(self.ca_key),
             "-out", str(self.ca_cert), "-addext", "basicConstraints=critical,CA:TRUE",
             "-addext", "keyUsage=critical,keyCertSign,cRLSign"])
        self._readable(self.ca_key, self.ca_cert)

    def leaf(self, name: str, sans: list[str] | None = None,
             key: str | None = None) -> tuple[Path, Path]:
        """Certificate and key for `name` (SANs default to the name itself); made once per
        name, SANs and key type."""
        sans = sans or [name]
        key = key or self.key
        stem = f"{name}-{key}-{abs(hash(tuple(sans))) % 10**8}"
        cert, keyfile = self.dir / f"{stem}.pem", self.dir / f"{stem}.key"
        if cert.exists():
            return cert, keyfile
        csr, ext = self.dir / f"{stem}.csr", self.dir / f"{stem}.ext"
        run(["openssl", "req", "-new", *_newkey(key), "-nodes", "-subj", f"/CN={name}",
             "-keyout", str(keyfile), "-out", str(csr)])
        ext.write_text("basicConstraints=CA:FALSE\nkeyUsage=digitalSignature,keyEncipherment\n"
                       "extendedKeyUsage=serverAuth,clientAuth\nsubjectAltName="
                       + ",".join(f"DNS:{n}" for n in sans) + "\n")
        run(["openssl", "x509", "-req", "-in", str(csr), "-CA", str(self.ca_cert),
             "-CAkey", str(self.ca_key), "-CAcreateserial", "-days", "2", "-sha256",
             "-extfile", str(ext), "-out", str(cert)])
        self._readable(cert, keyfile)
        return cert, keyfile

    @staticmethod
    def _readable(*paths: Path) -> None:
        for path in paths:
            os.chmod(path, 0o644)
