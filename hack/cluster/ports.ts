import { createServer } from 'node:net';

/** Ports this process has handed out, so it never hands one out twice. */
const handedOut = new Set<number>();
/**
 * Listening ports are picked below Linux's ephemeral range (32768–60999): a port from that range can
 * be taken between our check and the server's bind by any outgoing connection on the machine (seen:
 * a kube-apiserver failing with "address already in use").
 */
const [LOW, HIGH] = [20000, 32767];

/** A TCP port on 127.0.0.1 that is free right now and was not handed out before by this process. */
export async function freePort(): Promise<number> {
  for (let attempt = 0; attempt < 1000; attempt++) {
    const port = LOW + Math.floor(Math.random() * (HIGH - LOW + 1));
    if (handedOut.has(port) || (await portInUse(port))) continue;
    handedOut.add(port);
    return port;
  }
  throw new Error(`no free port between ${LOW} and ${HIGH} on 127.0.0.1`);
}

/**
 * The first of `count` consecutive TCP ports on 127.0.0.1, all free right now and none handed out
 * before (a range a server listens on port by port, e.g. --kubelet-node-ports). Checking only the
 * first would let the range run into a port another component of the test clusters holds.
 */
export async function freePortRange(count: number): Promise<number> {
  for (let attempt = 0; attempt < 1000; attempt++) {
    const first = LOW + Math.floor(Math.random() * (HIGH - LOW + 2 - count));
    const ports = Array.from({ length: count }, (_, i) => first + i);
    if (ports.some((p) => handedOut.has(p))) continue;
    if ((await Promise.all(ports.map(portInUse))).some(Boolean)) continue;
    for (const p of ports) handedOut.add(p);
    return first;
  }
  throw new Error(`no ${count} consecutive free ports between ${LOW} and ${HIGH} on 127.0.0.1`);
}

/** True when something already listens on 127.0.0.1:port. */
export function portInUse(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', () => resolve(true));
    server.listen(port, '127.0.0.1', () => server.close(() => resolve(false)));
  });
}
