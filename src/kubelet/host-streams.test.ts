import { once } from 'node:events';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { pipeline } from 'node:stream/promises';
import { Writable } from 'node:stream';
import { KubeConfig } from '@kubernetes/client-node';
import { FakeClock } from '../util/clock.ts';
import { HostHeadersTimeout, HostStreams } from './host-streams.ts';
import { linesThrough } from './line-stream.ts';

// A plain HTTP server standing in for the host API's node proxy: what is under test is how the
// syncer reads answers (streamed, bounded), not the API.
let server: Server;
let streams: HostStreams;
/** The same host, with a headers timeout of 200 ms. */
let impatient: HostStreams;
/** The host's kubeconfig, for streams made by a test. */
let kc: KubeConfig;
/** Paths the stand-in host was asked for, in order. */
const asked: string[] = [];
/** Lines of the big answer: about 20 MiB, more than the whole-read bound of 16 MiB. */
const BIG_LINES = 400_000;
const bigLine = (i: number) =>
  `container_cpu_usage_seconds_total{pod="p${i % 7}",namespace="ns"} ${i} 1700000000000`;

beforeAll(async () => {
  server = createServer((req, res) => {
    asked.push(req.url ?? '');
    if (req.url === '/big') {
      res.writeHead(200, { 'content-type': 'text/plain' });
      let i = 0;
      // In chunks of a thousand lines, as a kubelet's answer arrives.
      const more = () => {
        while (i < BIG_LINES) {
          const chunk = Array.from({ length: 1000 }, () => bigLine(i++) + '\n').join('');
          if (!res.write(chunk)) return void res.once('drain', more);
        }
        res.end();
      };
      more();
    } else if (req.url?.split('?')[0] === '/small') res.end('{"node":{}}');
    else if (req.url === '/silent')
      return; // never answers
    else if (req.url === '/follow') {
      // Answers at once, then its body for longer than the headers timeout, as a log follow does.
      res.writeHead(200, { 'content-type': 'text/plain' });
      const timer = setInterval(() => res.write('line\n'), 50);
      setTimeout(() => (clearInterval(timer), res.end()), 400);
    } else {
      res.writeHead(403);
      res.end('nodes "n1" is forbidden: User "syncer" cannot get resource "nodes/proxy"');
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  kc = new KubeConfig();
  kc.loadFromOptions({
    clusters: [
      {
        name: 'host',
        server: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
        skipTLSVerify: true,
      },
    ],
    users: [{ name: 'syncer' }],
    contexts: [{ name: 'host', cluster: 'host', user: 'syncer' }],
    currentContext: 'host',
  });
  streams = new HostStreams(kc);
  impatient = new HostStreams(kc, 200);
});
afterAll(() => new Promise((resolve) => server.close(resolve)));

describe('host answers', () => {
  it('streams an answer larger than the whole-read bound through a line view', async () => {
    let kept = 0;
    let bytes = 0;
    await pipeline(
      await streams.get('/big'),
      linesThrough((line) => (line.includes('pod="p0"') ? line : undefined)),
      new Writable({
        write(chunk: Buffer, _encoding, done) {
          bytes += chunk.length;
          kept += chunk.toString().split('\n').length - 1;
          done();
        },
      }),
    );
    expect(kept).toBe(Math.ceil(BIG_LINES / 7));
    expect(bytes).toBeGreaterThan(0);
    await expect(streams.read('/big')).rejects.toThrow('/big: answer larger than 16777216 bytes');
  }, 30_000);

  it('reads a small answer whole', async () => {
    expect(await streams.read('/small')).toBe('{"node":{}}');
  });

  it("rejects a refusal with the host's status and message", async () => {
    await expect(streams.get('/refused')).rejects.toThrow(
      'host API: /refused: 403 nodes "n1" is forbidden: User "syncer" cannot get resource "nodes/proxy"',
    );
  });
});

describe('pacing', () => {
  it("sends nothing to the host until the host client's limiter lets the request through", async () => {
    let letThrough!: () => void;
    const turn = new Promise<void>((resolve) => (letThrough = resolve));
    const paced = new HostStreams(kc, 200, () => turn);
    const reading = paced.read('/small?paced');
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(asked).not.toContain('/small?paced');
    letThrough();
    expect(await reading).toBe('{"node":{}}');
    expect(asked).toContain('/small?paced');
  });
});

describe('waiting for the host to answer', () => {
  it('gives up on a host that does not answer within the headers timeout, with HostHeadersTimeout', async () => {
    const req = await impatient.open('GET', '/silent', new URLSearchParams(), {});
    req.end();
    const [err] = (await once(req, 'error')) as [Error];
    expect(err).toBeInstanceOf(HostHeadersTimeout);
    expect(err.message).toBe('the host API server did not answer within 0.2 s; try again later');
  });

  it('no longer limits a request once the host answered: a body may take its time', async () => {
    const req = await impatient.open('GET', '/follow', new URLSearchParams(), {});
    req.end();
    const [res] = (await once(req, 'response')) as [IncomingMessage];
    let body = '';
    for await (const chunk of res as AsyncIterable<Buffer>) body += chunk.toString();
    expect(body.split('\n').length).toBeGreaterThan(5);
  });
});

describe('splice', () => {
  it('closes both sides once neither sends anything for the idle time, and not while bytes flow', async () => {
    const { createServer: netServer, connect } = await import('node:net');
    const { splice } = await import('./host-streams.ts');
    // Two connected pairs: the caller's and the host's; the far ends stand for kubectl and the kubelet.
    const pair = async () => {
      const accepted = new Promise<import('node:net').Socket>((resolve) => srv.once('connection', resolve));
      const far = connect((srv.address() as AddressInfo).port, '127.0.0.1');
      return { near: await accepted, far };
    };
    const srv = netServer();
    await new Promise<void>((resolve) => srv.listen(0, '127.0.0.1', resolve));
    const sockets: import('node:net').Socket[] = [];
    try {
      const caller = await pair();
      const host = await pair();
      sockets.push(caller.near, caller.far, host.near, host.far);
      // The idle time passes only when the test advances the clock: bytes are awaited, never timed.
      const clock = new FakeClock();
      splice(caller.near, Buffer.alloc(0), host.near, Buffer.alloc(0), 300, clock);
      const open = () => !caller.near.destroyed && !host.near.destroyed;
      /** Writes one byte at `from` and resolves once it arrived at `to`, through the splice. */
      const send = async (from: import('node:net').Socket, to: import('node:net').Socket, byte: string) => {
        const arrived = once(to, 'data') as Promise<[Buffer]>;
        from.write(byte);
        expect((await arrived)[0].toString()).toBe(byte);
      };
      // Traffic either way keeps it open past the idle time: the caller's keys, then the host's
      // output, each 200 ms after the last byte: 1.6 s in all, more than five times the idle time.
      for (let i = 0; i < 4; i++) {
        await send(caller.far, host.far, `${i}`);
        clock.advance(200);
        expect(open()).toBe(true);
      }
      for (let i = 0; i < 4; i++) {
        await send(host.far, caller.far, `${i}`);
        clock.advance(200);
        expect(open()).toBe(true);
      }
      // Then silence: not a moment before the idle time since the last byte, both sides go at it.
      clock.advance(99);
      expect(open()).toBe(true);
      const closed = Promise.all([once(caller.far, 'close'), once(host.far, 'close')]);
      clock.advance(1);
      expect(caller.near.destroyed).toBe(true);
      expect(host.near.destroyed).toBe(true);
      await closed; // and the far ends see it
      expect(clock.pendingTimers()).toBe(0);
    } finally {
      // A failed check leaves them open, and the server would wait for them.
      for (const socket of sockets) socket.destroy();
      await new Promise((resolve) => srv.close(resolve));
    }
  });
});
