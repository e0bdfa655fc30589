import { createPrivateKey, X509Certificate } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createSecureContext } from 'node:tls';
import { ConfigError } from './config-error.ts';

/** The bytes of a file a flag names; a ConfigError naming the flag and the file when it cannot be read. */
export function readFlagFile(flag: string, path: string): Buffer {
  return readLabelledFile(`--${flag}`, path);
}

function readLabelledFile(label: string, path: string): Buffer {
  try {
    return readFileSync(path);
  } catch (err) {
    throw new ConfigError(
      label,
      `cannot read ${path}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`,
    );
  }
}

/** OpenSSL's reason without its code: `error:0480006C:PEM routines::no start line` → `PEM routines: no start line`. */
const reasonOf = (err: unknown): string =>
  (err as Error).message.replace(/^error:[0-9A-Fa-f]+:/, '').replace('::', ': ');

/** A file a setting names: where the setting came from (its flag or config field) and the path. */
export interface NamedFile {
  label: string;
  path: string;
}

/**
 * Reads the serving certificate, its key and (when given) the client CA as the TLS servers will,
 * so that a missing file, one that is no PEM certificate or key, a key of another certificate or a
 * CA file without a certificate is refused with the setting and the file named, before anything
 * starts.
 */
export function checkServingFiles(files: { cert: NamedFile; key: NamedFile; ca?: NamedFile }): void {
  const cert = readLabelledFile(files.cert.label, files.cert.path);
  const key = readLabelledFile(files.key.label, files.key.path);
  try {
    createSecureContext({ cert });
  } catch (err) {
    throw new ConfigError(files.cert.label, `${files.cert.path} is not a PEM certificate (${reasonOf(err)})`);
  }
  try {
    createSecureContext({ key });
  } catch (err) {
    throw new ConfigError(files.key.label, `${files.key.path} is not a PEM private key (${reasonOf(err)})`);
  }
  // OpenSSL holds a key of each type apart, so an RSA key with an EC certificate passes it silently.
  let matches: boolean;
  try {
    matches = new X509Certificate(cert).checkPrivateKey(createPrivateKey(key));
  } catch (err) {
    throw new ConfigError(
      files.key.label,
      `cannot check ${files.key.path} against the certificate in ${files.cert.path} (${reasonOf(err)})`,
    );
  }
  if (!matches)
    throw new ConfigError(
      files.key.label,
      `${files.key.path} is not the key of the certificate in ${files.cert.path}`,
    );
  const { ca } = files;
  if (!ca) return;
  // OpenSSL takes a CA file without a certificate silently, and then trusts no client at all.
  const text = readLabelledFile(ca.label, ca.path).toString('utf8');
  const blocks = text.match(/-----BEGIN CERTIFICATE-----[\s\S]*?-----END CERTIFICATE-----/g) ?? [];
  if (!blocks.length) throw new ConfigError(ca.label, `${ca.path} holds no PEM certificate`);
  blocks.forEach((block, i) => {
    try {
      new X509Certificate(block);
    } catch (err) {
      throw new ConfigError(ca.label, `certificate ${i + 1} of ${ca.path} does not parse (${reasonOf(err)})`);
    }
  });
}
