import { once } from 'node:events';
import { createServer, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import { connect, type TLSSocket } from 'node:tls';
import { issueCertificate } from '../pki/certificate.ts';
import { opensslCa } from '../testing/openssl-ca.ts';
import { FakeClock } from '../util/clock.ts';
import { closeSilentConnections } from './silent-connections.ts';

let server: Server;
let ca: string;
/** The connections' timers run on it: time passes only when a test advances it. */
const clock = new FakeClock();

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
  closeSilentConnections(server, 300, clock);
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
});

afterAll(async () => {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
});

/** A client's TLS connection, and the server's side of it once the server saw the handshake end. */
async function handshake(): Promise<{ client: TLSSocket; server: TLSSocket }> {
  // The client may finish first (TLS 1.3): the server's side, and its timer, exist only after this.
  const accepted = once(server, 'secureConnection') as Promise<[TLSSocket]>;
  const client = connect({ host: '127.0.0.1', port: (server.address() as AddressInfo).port, ca });
  await once(client, 'secureConnect');
  return { client, server: (await accepted)[0] };
}

describe('closeSilentConnections', () => {
  it('closes a connection that sends no request after its handshake, and keeps one that did', async () => {
    const silent = await handshake();
    const streaming = await handshake();
    streaming.client.write('GET /containerLogs/team/web/main?follow=true HTTP/1.1\r\nHost: x\r\n\r\n');
    await once(streaming.client, 'data'); // the request was heard
    clock.advance(299);
    expect(silent.server.destroyed).toBe(false);
    const closed = once(silent.client, 'close');
    clock.advance(1);
    expect(silent.server.destroyed).toBe(true);
    await closed; // the client sees it
    // Well past the silent one's window, the stream is still open: its timer would have fired by now.
    clock.advance(600);
    expect(streaming.server.destroyed).toBe(false);
    expect(clock.pendingTimers()).toBe(0);
    streaming.client.destroy();
  });
});
