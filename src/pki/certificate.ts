// Certificates the syncer issues at run time from a CA it is given (the chart's): serving
// certificates for addresses known only once the pod runs, such as the cluster IP of the Service in
// front of the virtual API server, which clients inside pods dial and verify.
import {
  createPrivateKey,
  generateKeyPairSync,
  randomBytes,
  sign,
  X509Certificate,
  type KeyObject,
} from 'node:crypto';
import { isIP } from 'node:net';
import { parseIPv6 } from '../util/ip.ts';
import {
  bitString,
  boolean,
  children,
  explicit,
  implicitPrimitive,
  nullValue,
  objectIdentifier,
  octetString,
  readElement,
  sequence,
  set,
  smallInteger,
  time,
  unsignedInteger,
  utf8String,
} from './der.ts';

export interface CertificateAuthority {
  certPem: string;
  keyPem: string;
}

export interface CertificateRequest {
  commonName: string;
  dnsNames: string[];
  ipAddresses: string[];
  /** What the certificate is for (extended key usage). */
  usages: ('serverAuth' | 'clientAuth')[];
  validDays: number;
  /** Defaults to now; the certificate is valid from an hour before (clock skew). */
  now?: Date;
}

export interface IssuedCertificate {
  certPem: string;
  keyPem: string;
}

const OID = {
  commonName: '2.5.4.3',
  keyUsage: '2.5.29.15',
  subjectAltName: '2.5.29.17',
  basicConstraints: '2.5.29.19',
  extKeyUsage: '2.5.29.37',
  serverAuth: '1.3.6.1.5.5.7.3.1',
  clientAuth: '1.3.6.1.5.5.7.3.2',
  sha256WithRsa: '1.2.840.113549.1.1.11',
  ecdsaWithSha256: '1.2.840.10045.4.3.2',
} as const;

/** Issues a certificate for a new P-256 key, signed by ca (an RSA or EC key). */
export function issueCertificate(req: CertificateRequest, ca: CertificateAuthority): IssuedCertificate {
  if (!req.commonName) throw new Error('certificate: a common name is required');
  for (const ip of req.ipAddresses)
    if (!isIP(ip)) throw new Error(`certificate: ${JSON.stringify(ip)} is not an IP address`);
  const caCert = new X509Certificate(ca.certPem);
  if (!caCert.ca) throw new Error('certificate: the CA certificate is not a CA (basicConstraints CA:false)');
  const caKey = createPrivateKey(ca.keyPem);
  if (!caCert.checkPrivateKey(caKey))
    throw new Error('certificate: the CA key does not belong to the CA certificate');
  const { publicKey, privateKey } = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
  const now = req.now ?? new Date();
  const notBefore = new Date(now.getTime() - 3600_000);
  const notAfter = new Date(now.getTime() + req.validDays * 86_400_000);
  const signatureAlgorithm = algorithmFor(caKey);
  const tbs = sequence(
    explicit(0, smallInteger(2)), // v3
    unsignedInteger(randomBytes(16)),
    signatureAlgorithm,
    subjectOf(caCert),
    sequence(time(notBefore), time(notAfter)),
    sequence(set(sequence(objectIdentifier(OID.commonName), utf8String(req.commonName)))),
    publicKey.export({ type: 'spki', format: 'der' }),
    explicit(3, sequence(...extensions(req))),
  );
  const signature = sign('sha256', tbs, caKey);
  const der = sequence(tbs, signatureAlgorithm, bitString(signature));
  return {
    certPem: pem('CERTIFICATE', der),
    keyPem: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
  };
}

function algorithmFor(key: KeyObject): Buffer {
  if (key.asymmetricKeyType === 'rsa') return sequence(objectIdentifier(OID.sha256WithRsa), nullValue());
  if (key.asymmetricKeyType === 'ec') return sequence(objectIdentifier(OID.ecdsaWithSha256));
  throw new Error(`certificate: CA keys of type ${key.asymmetricKeyType} are not supported (want RSA or EC)`);
}

/** The CA's subject, as its certificate encodes it: the issuer of what it signs, byte for byte. */
function subjectOf(caCert: X509Certificate): Buffer {
  const der = caCert.raw;
  const tbs = children(der, readElement(der, 0))[0]!;
  const fields = children(der, tbs);
  // [0] version is optional; then serial, signature, issuer, validity, subject.
  const first = fields[0]!.tag === 0xa0 ? 1 : 0;
  const subject = fields[first + 4];
  if (!subject) throw new Error('certificate: cannot read the CA certificate subject');
  return der.subarray(subject.start, subject.end);
}

function extensions(req: CertificateRequest): Buffer[] {
  const extension = (oid: string, critical: boolean, value: Buffer) =>
    sequence(objectIdentifier(oid), ...(critical ? [boolean(true)] : []), octetString(value));
  // digitalSignature (bit 0) and keyEncipherment (bit 2): 1010 0000, five unused bits.
  const keyUsage = bitString(Buffer.from([0xa0]), 5);
  const out = [
    extension(OID.keyUsage, true, keyUsage),
    extension(OID.extKeyUsage, false, sequence(...req.usages.map((u) => objectIdentifier(OID[u])))),
    extension(OID.basicConstraints, true, sequence()),
  ];
  const names = [
    ...req.dnsNames.map((d) => implicitPrimitive(2, Buffer.from(d, 'ascii'))),
    ...req.ipAddresses.map((ip) => implicitPrimitive(7, ipBytes(ip))),
  ];
  if (names.length) out.push(extension(OID.subjectAltName, false, sequence(...names)));
  return out;
}

/** An IP SAN's bytes: four for IPv4, sixteen for IPv6 (`::` expanded, a dotted-quad tail read). */
function ipBytes(ip: string): Buffer {
  if (isIP(ip) === 4) return Buffer.from(ip.split('.').map(Number));
  const groups = parseIPv6(ip);
  if (!groups) throw new Error(`${JSON.stringify(ip)} is not an IP address`);
  const out = Buffer.alloc(16);
  groups.forEach((g, i) => out.writeUInt16BE(g, i * 2));
  return out;
}

function pem(label: string, der: Buffer): string {
  const lines = der.toString('base64').match(/.{1,64}/g) ?? [];
  return `-----BEGIN ${label}-----\n${lines.join('\n')}\n-----END ${label}-----\n`;
}
