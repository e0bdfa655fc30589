import { connect, createServer, type AddressInfo, type Server, type Socket } from 'node:net';
import { silentLogger } from '../util/log.ts';
import { ApiPassthrough, apiServerAddress, type TcpAddress } from './api-passthrough.ts';

describe('apiServerAddress', () => {
  it.each([
    ['https://127.0.0.1:6443', '127.0.0.1', 6443],
    ['https://[::1]:6443', '::1', 6443],
    ['https://[fd00::10]', 'fd00::10', 443],
    ['https://localhost', 'localhost', 443],
    ['https://localhost:443', 'localhost', 443],
    ['https://k3s.example.com:6443/', 'k3s.example.com', 6443],
    ['http://127.0.0.1', '127.0.0.1', 80],
    ['http://127.0.0.1:8080', '127.0.0.1', 8080],
  ])('%s → %s port %d', (server, host, port) => expect(apiServerAddress(server)).toEqual({ host, port }));

  it.each([
    ['not a url', 'is not a URL'],
    ['unix:///run/k3s.sock', 'is not an http(s) URL'],
    ['https://rancher.example.com/k8s/clusters/c-1', 'has a path'],
  ])('refuses %j: %s', (server, message) => expect(() => apiServerAddress(server)).toThrow(message));
});

describe('ApiPassthrough: a target that is itself', () => {
  const make = (bindAddress: string, port: number, target: TcpAddress) => () =>
    new ApiPassthrough({ bindAddress, port, target, logger: silentLogger });

  it.each([
    ['0.0.0.0', 8443, { host: 'localhost', port: 8443 }],
    ['0.0.0.0', 8443, { host: '127.0.0.1', port: 8443 }],
    ['::', 8443, { host: '::1', port: 8443 }],
    ['10.0.0.5', 8443, { host: '10.0.0.5', port: 8443 }],
  ])('refuses to listen on %s port %d for %j', (bind, port, target) =>
    expect(make(bind, port, target)).toThrow('it would connect to itself'),
  );

  it.each([
    ['0.0.0.0', 8443, { host: '127.0.0.1', port: 6443 }],
    ['10.0.0.5', 8443, { host: '127.0.0.1', port: 8443 }],
    ['127.0.0.1', 0, { host: '127.0.0.1', port: 6443 }],
  ])('listens on %s port %d for %j', (bind, port, target) => expect(make(bind, port, target)).not.toThrow());
});

/**
 * A TCP server on loopback standing in for the API server; `onConnection` gets each socket. Half-open,
 * it answers after the client's FIN; else it closes on it, as an API server does.
 */
async function upstreamServer(
  onConnection: (socket: Socket) => void,
  halfOpen: boolean,
): Promise<{ server: Server; port: number }> {
  const server = createServer({ allowHalfOpen: halfOpen }, onConnection);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { server, port: (server.address() as AddressInfo).port };
}

/**
 * A client of the passthrough that records what it reads and how it ended; half-open, it keeps
 * writing after the other side's FIN (else it closes on it, as most clients do).
 */
function client(port: number, halfOpen = false) {
  const socket = connect({ host: '127.0.0.1', port, allowHalfOpen: halfOpen });
  let received = '';
  socket.on('data', (d: Buffer) => (received += d.toString()));
  socket.on('error', () => undefined);
  const ended = new Promise<void>((resolve) => socket.once('end', resolve));
  const closed = new Promise<void>((resolve) => socket.once('close', () => resolve()));
  const connected = new Promise<void>((resolve) => socket.once('connect', resolve));
  return { socket, received: () => received, ended, closed, connected };
}

const until = async (what: string, ok: () => boolean, ms = 5_000) => {
  const deadline = Date.now() + ms;
  while (!ok()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
};

describe('ApiPassthrough: connections', () => {
  const servers: Server[] = [];
  const passthroughs: ApiPassthrough[] = [];
  afterEach(async () => {
    // Stopped, a passthrough has closed its connections to these servers.
    await Promise.all(passthroughs.splice(0).map((p) => p.stop()));
    for (const s of servers.splice(0)) s.close();
  });

  async function passthroughTo(target: TcpAddress, maxConnections?: number) {
    const p = new ApiPassthrough({
      bindAddress: '127.0.0.1',
      port: 0,
      target,
      logger: silentLogger,
      maxConnections,
    });
    passthroughs.push(p);
    const address = await p.start();
    return { passthrough: p, port: address.port };
  }

  async function upstream(onConnection: (socket: Socket) => void, halfOpen = false) {
    const u = await upstreamServer(onConnection, halfOpen);
    servers.push(u.server);
    return { host: '127.0.0.1', port: u.port };
  }

  it('passes bytes both ways, and a client half-close: the answer still arrives after it', async () => {
    const target = await upstream((s) => {
      let got = '';
      s.on('data', (d: Buffer) => (got += d.toString()));
      // The server answers only once the client has said all it will.
      s.on('end', () => s.end(`got ${got}`));
    }, true);
    const { passthrough, port } = await passthroughTo(target);
    const c = client(port, true);
    c.socket.write('hello ');
    c.socket.end('world');
    await c.ended;
    expect(c.received()).toBe('got hello world');
    await c.closed;
    await until('both sockets closed', () => passthrough.openSockets === 0);
  });

  it("passes the server's half-close: the client may still write after it", async () => {
    let serverGot = '';
    let serverEnded!: () => void;
    const serverDone = new Promise<void>((resolve) => (serverEnded = resolve));
    const target = await upstream((s) => {
      s.end('bye first; ');
      s.on('data', (d: Buffer) => (serverGot += d.toString()));
      s.on('end', () => serverEnded());
    }, true);
    const { passthrough, port } = await passthroughTo(target);
    const c = client(port, true);
    await c.ended;
    expect(c.received()).toBe('bye first; ');
    c.socket.end('still here');
    await serverDone;
    expect(serverGot).toBe('still here');
    await c.closed;
    await until('both sockets closed', () => passthrough.openSockets === 0);
  });

  it('closes the client when the target refuses, and keeps serving', async () => {
    // A port nothing listens on any more.
    const { port: closedPort } = await upstream(() => undefined);
    await new Promise<void>((resolve) => servers.pop()!.close(() => resolve()));
    const { passthrough, port } = await passthroughTo({ host: '127.0.0.1', port: closedPort });
    const c = client(port);
    c.socket.write('anyone?');
    await c.closed;
    expect(c.received()).toBe('');
    await until('both sockets closed', () => passthrough.openSockets === 0);
    // Still listening: a second client is accepted (and closed the same way).
    const again = client(port);
    await again.connected;
    await again.closed;
  });

  it('closes the client when the server resets the connection', async () => {
    const target = await upstream((s) => s.once('data', () => s.resetAndDestroy()));
    const { passthrough, port } = await passthroughTo(target);
    const c = client(port);
    c.socket.write('x');
    await c.closed;
    expect(c.received()).toBe('');
    await until('both sockets closed', () => passthrough.openSockets === 0);
    // Still listening: a second client is accepted.
    const again = client(port);
    await again.connected;
    again.socket.destroy();
  });

  it('closes a new connection at once over the cap, and serves the ones open', async () => {
    const target = await upstream((s) => s.on('data', (d: Buffer) => s.write(d)));
    const { port } = await passthroughTo(target, 2);
    const open = [client(port), client(port)];
    for (const c of open) c.socket.write('ping');
    await until('echoes', () => open.every((c) => c.received() === 'ping'));
    const over = client(port);
    await over.closed;
    expect(over.received()).toBe('');
    open[0]!.socket.write('!');
    await until('still echoing', () => open[0]!.received() === 'ping!');
    // One closes: a new one fits again.
    open[1]!.socket.destroy();
    await open[1]!.closed;
    await new Promise((r) => setTimeout(r, 50));
    const next = client(port);
    next.socket.write('pong');
    await until('echo of a connection under the cap', () => next.received() === 'pong');
  });

  it('closes open connections on stop, and listens no more', async () => {
    const target = await upstream((s) => s.on('data', (d: Buffer) => s.write(d)));
    const { passthrough, port } = await passthroughTo(target);
    const c = client(port);
    c.socket.write('ping');
    await until('echo', () => c.received() === 'ping');
    await passthrough.stop();
    await c.closed;
    expect(passthrough.openSockets).toBe(0);
    const late = client(port);
    await late.closed;
    expect(late.received()).toBe('');
  });

  it('names the flag and the port when the port is taken', async () => {
    const taken = await upstream(() => undefined);
    const p = new ApiPassthrough({
      bindAddress: '127.0.0.1',
      port: taken.port,
      target: { host: '127.0.0.1', port: 1 },
      logger: silentLogger,
    });
    await expect(p.start()).rejects.toThrow(
      `cannot listen on --api-proxy-port ${taken.port} (--api-proxy-bind-address 127.0.0.1): EADDRINUSE`,
    );
  });
});
