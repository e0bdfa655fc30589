import { readFileSync, renameSync, writeFileSync } from 'node:fs';
import { Command, Option } from 'commander';
import { issueCertificate } from './certificate.ts';

/**
 * `vsyncer issue-cert`: a certificate for a new key, signed by a CA given as files. The chart's
 * vanilla control plane runs it as an init container, so that the API server's serving certificate
 * names the cluster IP of the Service in front of it (known only once that Service exists): pods dial
 * that IP and verify it.
 */
export function issueCertCommand(out: (text: string) => void): Command {
  const repeat = (value: string, previous: string[]) => [...previous, ...value.split(',').filter(Boolean)];
  return new Command('issue-cert')
    .description(
      'issue a certificate for a new key from a CA (files), e.g. an API server serving certificate',
    )
    .requiredOption('--ca-cert <file>', 'CA certificate (PEM)')
    .requiredOption('--ca-key <file>', 'CA private key (PEM; RSA or EC)')
    .requiredOption('--common-name <name>', 'subject common name')
    .addOption(
      new Option('--dns-name <name>', 'DNS subject alternative name (repeatable, or comma-separated)')
        .argParser(repeat)
        .default([]),
    )
    .addOption(
      new Option('--ip-address <ip>', 'IP subject alternative name (repeatable, or comma-separated)')
        .argParser(repeat)
        .default([]),
    )
    .addOption(
      new Option('--usage <usage>', 'extended key usage')
        .choices(['server', 'client', 'server-and-client'])
        .default('server'),
    )
    .addOption(new Option('--valid-days <days>', 'validity in days').default('365'))
    .requiredOption('--cert-out <file>', 'where to write the certificate (PEM)')
    .requiredOption('--key-out <file>', 'where to write the new private key (PEM, mode 0600)')
    .exitOverride()
    .action((opts: Record<string, unknown>) => {
      const days = Number(opts.validDays);
      if (!Number.isInteger(days) || days < 1)
        throw new IssueCertError(`--valid-days: want a whole number of days, got ${String(opts.validDays)}`);
      const read = (flag: string, file: string) => {
        try {
          return readFileSync(file, 'utf8');
        } catch (err) {
          throw new IssueCertError(`${flag}: cannot read ${file}: ${(err as Error).message}`);
        }
      };
      const usage = opts.usage as string;
      let issued;
      try {
        issued = issueCertificate(
          {
            commonName: opts.commonName as string,
            dnsNames: opts.dnsName as string[],
            ipAddresses: opts.ipAddress as string[],
            usages:
              usage === 'server'
                ? ['serverAuth']
                : usage === 'client'
                  ? ['clientAuth']
                  : ['serverAuth', 'clientAuth'],
            validDays: days,
          },
          {
            certPem: read('--ca-cert', opts.caCert as string),
            keyPem: read('--ca-key', opts.caKey as string),
          },
        );
      } catch (err) {
        throw new IssueCertError((err as Error).message);
      }
      // Key first, each written whole: a reader never sees a certificate without its key.
      writeWhole(opts.keyOut as string, issued.keyPem, 0o600);
      writeWhole(opts.certOut as string, issued.certPem, 0o644);
      out(
        `issued ${opts.commonName as string} for ${[...(opts.dnsName as string[]), ...(opts.ipAddress as string[])].join(', ')}\n`,
      );
    });
}

export class IssueCertError extends Error {
  override name = 'IssueCertError';
}

function writeWhole(path: string, content: string, mode: number): void {
  writeFileSync(`${path}.tmp`, content, { mode });
  renameSync(`${path}.tmp`, path);
}
