/**
 * One kubelet port per virtual node. Every node advertises the same address (the syncer, reached by
 * the virtual API server on loopback), so the port is what tells the syncer which node a request is
 * for: node-level endpoints (`/stats/summary`, `/metrics/resource`) mean nothing without it. A node
 * keeps the port it already advertises when that port is free in the range, so a restart changes no
 * node; new nodes take the lowest free port. A port the server cannot listen on (another process
 * holds it) is never handed out again: a node advertising it would send the virtual API server, with
 * its client certificate, to that other process.
 */
export class NodePorts {
  readonly first: number;
  readonly last: number;
  private readonly byNode = new Map<string, number>();
  private readonly byPort = new Map<number, string>();
  /** Ports that could not be listened on. */
  private readonly refused = new Set<number>();
  private serve: ((port: number) => Promise<void>) | undefined;
  /** Each handed-out port's listen, once a server serves them: settled when it listens or fails. */
  private readonly serving = new Map<number, Promise<void>>();

  constructor(first: number, last: number) {
    if (!Number.isInteger(first) || !Number.isInteger(last) || first < 1 || last > 65535 || first > last)
      throw new Error(`invalid node port range ${first}-${last}`);
    this.first = first;
    this.last = last;
  }

  /** Parses `first-last`; undefined for an empty value. Throws on anything else. */
  static parse(range: string): NodePorts | undefined {
    if (!range) return undefined;
    const match = /^(\d{1,5})-(\d{1,5})$/.exec(range);
    if (!match) throw new Error(`must be first-last, e.g. 11000-11999, got ${JSON.stringify(range)}`);
    return new NodePorts(Number(match[1]), Number(match[2]));
  }

  /** The node's port: its current one when that is in range and not another node's, else the lowest free. */
  portFor(node: string, current?: number): number {
    const known = this.byNode.get(node);
    if (known !== undefined) return known;
    const free = (p: number) =>
      p >= this.first && p <= this.last && !this.byPort.has(p) && !this.refused.has(p);
    let port = current !== undefined && free(current) ? current : undefined;
    for (let p = this.first; port === undefined && p <= this.last; p++) if (free(p)) port = p;
    if (port === undefined)
      throw new Error(
        `no free kubelet port for node ${node}: all ${this.last - this.first + 1} ports of the range are taken or held by another process`,
      );
    this.byNode.set(node, port);
    this.byPort.set(port, node);
    this.listen(port);
    return port;
  }

  /**
   * The node is gone: its port may go to another node (still listened on; requests to it find no
   * node until then). Without this, every node name ever seen (host nodes come and go with an
   * autoscaler; a tenant's pod may name any) would hold a port until the range ran out.
   */
  release(node: string): void {
    const port = this.byNode.get(node);
    if (port === undefined) return;
    this.byNode.delete(node);
    this.byPort.delete(port);
  }

  /** The node a port was given to. */
  nodeAt(port: number): string | undefined {
    return this.byPort.get(port);
  }

  /**
   * Listens on every port handed out, now and later, with `serve`; a port whose listen fails is taken
   * from its node and never handed out again (see served).
   */
  serveWith(serve: (port: number) => Promise<void>): void {
    this.serve = serve;
    for (const port of this.byPort.keys()) this.listen(port);
  }

  /**
   * Resolves once the port is listened on (at once when no server serves the ports); rejects when it
   * cannot be, and the node then gets another port from its next portFor. A node must not advertise a
   * port before this resolves.
   */
  async served(port: number): Promise<void> {
    await this.serving.get(port);
  }

  private listen(port: number): void {
    if (!this.serve || this.serving.has(port)) return;
    const listening = this.serve(port).catch((err: unknown) => {
      const node = this.byPort.get(port);
      if (node !== undefined) this.byNode.delete(node);
      this.byPort.delete(port);
      this.serving.delete(port);
      this.refused.add(port);
      throw err;
    });
    // Whoever awaits served() sees the failure; nobody else needs to.
    listening.catch(() => undefined);
    this.serving.set(port, listening);
  }
}
