/**
 * A throw-away certificate authority for TLS tests, made with the openssl command line as
 * an operator would: a CA, and server certificates it signs for 127.0.0.1 and localhost.
 */
import { execFileSync } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

/** A CA's files, and a way to have it sign more server certificates. */
export interface TestCa {
  dir: string;
  /** The CA certificate (what clients trust: AWS_CA_BUNDLE, NODE_EXTRA_CA_CERTS). */
  caCert: string;
  /** Issues a server certificate for 127.0.0.1/localhost with this common name; returns its PEM files. */
  issue(commonName: string): { cert: string; key: string };
}

function openssl(dir: string, args: string[]): void {
  execFileSync("openssl", args, { cwd: dir, stdio: ["ignore", "ignore", "pipe"] });
}

/** Creates a CA in a fresh temporary directory. */
export function createTestCa(): TestCa {
  const dir = mkdtempSync(join(tmpdir(), "kmsd-ca-"));
  openssl(dir, ["req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-keyout", "ca.key", "-out", "ca.pem", "-days", "2", "-subj", "/CN=kmsd test CA"]);
  writeFileSync(join(dir, "server.ext"), "subjectAltName=IP:127.0.0.1,DNS:localhost\nbasicConstraints=CA:FALSE\nextendedKeyUsage=serverAuth\n");
  let serial = 1;
  return {
    dir,
    caCert: join(dir, "ca.pem"),
    issue(commonName) {
      const name = `server-${serial}`;
      openssl(dir, ["req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-keyout", `${name}.key`, "-out", `${name}.csr`, "-subj", `/CN=${commonName}`]);
      openssl(dir, ["x509", "-req", "-in", `${name}.csr`, "-CA", "ca.pem", "-CAkey", "ca.key", "-set_serial", String(serial++), "-days", "2", "-extfile", "server.ext", "-out", `${name}.pem`]);
      return { cert: join(dir, `${name}.pem`), key: join(dir, `${name}.key`) };
    },
  };
}
