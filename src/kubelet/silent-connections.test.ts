import { once } from 'node:events';
import { createServer, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import { connect, type TLSSocket } from 'node:tls';
import { issueCertificate } from '../pki/certificate.ts';
import { opensslCa } from '../testing/openssl-ca.ts';
import { closeSilentConnections } from './silent-connections.ts';

let server: Server;
let ca: string;

beforeAll(async () => {
  const authority = opensslCa('ec');
  const serving = issueCertificate(
    { commonName: 'kubelet', dnsNames: [], ipAddresses: ['127.0.0.1'], usages: ['serverAuth'], validDays: 1 },
    authority,
  );
  ca = authority.certPem;
  server = createServer({ cert: serving.certPem, key: serving.keyPem }, (_req, res) => {
    // A stream that stays open (a log follow) after its request.
    res.writeHead(200);
    res.write('line\n');
  });
  closeSilentConnections(server, 300);
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
});

afterAll(async () => {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
});

async function handshake(): Promise<TLSSocket> {
  const socket = connect({ host: '127.0.0.1', port: (server.address() as AddressInfo).port, ca });
  await once(socket, 'secureConnect');
  return socket;
}

describe('closeSilentConnections', () => {
  it('closes a connection that sends no request after its handshake, and keeps one that did', async () => {
    const silent = await handshake();
    const streaming = await handshake();
    streaming.write('GET /containerLogs/team/web/main?follow=true HTTP/1.1\r\nHost: x\r\n\r\n');
    await once(streaming, 'data');
    const closed = once(silent, 'close');
    await closed;
    // Well past the silent one's window, the stream is still open.
    await new Promise((resolve) => setTimeout(resolve, 600));
    expect(silent.destroyed).toBe(true);
    expect(streaming.destroyed).toBe(false);
    streaming.destroy();
  });
});
