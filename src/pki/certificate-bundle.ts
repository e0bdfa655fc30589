// A PEM file of CA certificates to hand to pods: read once, every block checked, nothing but
// certificates let through (a key in it would be published to every pod of the virtual cluster).
import { readFileSync } from 'node:fs';
import { X509Certificate } from 'node:crypto';

const PEM_BLOCK = /-----BEGIN ([A-Z0-9 ]+)-----\r?\n([\s\S]*?)-----END \1-----/g;

/**
 * The certificates of a PEM text, each as one normalised PEM block ending in a newline; an error
 * naming what is wrong when it holds a block of anything but a CA certificate (a private key,
 * another kind of block, a certificate that does not parse or is no CA's) or holds none.
 */
export function parseCertificateBundle(text: string): string[] {
  const certificates: string[] = [];
  let rest = text;
  for (const match of text.matchAll(PEM_BLOCK)) {
    const [block, type] = match;
    if (type !== 'CERTIFICATE')
      throw new Error(`holds a ${type} block: only CERTIFICATE blocks may be given`);
    let cert: X509Certificate;
    try {
      cert = new X509Certificate(block);
    } catch (err) {
      throw new Error(`certificate ${certificates.length + 1} does not parse: ${(err as Error).message}`, {
        cause: err,
      });
    }
    if (!cert.ca)
      throw new Error(`certificate ${certificates.length + 1} (${cert.subject}) is not a CA certificate`);
    certificates.push(cert.toString().trimEnd() + '\n');
    rest = rest.replace(block, '');
  }
  // Text between blocks (openssl's subject and issuer lines, comments) is dropped, as Go's reader does.
  if (/-----(BEGIN|END)/.test(rest)) throw new Error('holds an unterminated or malformed PEM block');
  if (!certificates.length) throw new Error('holds no certificate');
  return certificates;
}

/** The certificates of a PEM file (see parseCertificateBundle); errors name the file. */
export function readCertificateBundle(path: string): string[] {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw new Error(`cannot read ${path}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`, {
      cause: err,
    });
  }
  try {
    return parseCertificateBundle(text);
  } catch (err) {
    throw new Error(`${path} ${(err as Error).message}`, { cause: err });
  }
}

/**
 * A PEM bundle with the given certificates added after its own, each once: what a pod's `ca.crt`
 * becomes. The bundle's own text is kept as it is.
 */
export function withCertificates(bundle: string, extra: readonly string[]): string {
  const missing = extra.filter((cert) => !bundle.includes(cert.trimEnd()));
  if (!missing.length) return bundle;
  const separator = bundle === '' || bundle.endsWith('\n') ? '' : '\n';
  return bundle + separator + missing.join('');
}
