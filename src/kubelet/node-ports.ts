/**
 * One kubelet port per virtual node. Every node advertises the same address (the syncer, reached by
 * the virtual API server on loopback), so the port is what tells the syncer which node a request is
 * for: node-level endpoints (`/stats/summary`, `/metrics/resource`) mean nothing without it. A node
 * keeps the port it already advertises when that port is free in the range, so a restart changes no
 * node; new nodes take the lowest free port.
 */
export class NodePorts {
  readonly first: number;
  readonly last: number;
  private readonly byNode = new Map<string, number>();
  private readonly byPort = new Map<number, string>();
  private readonly listeners: ((port: number) => void)[] = [];

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
    let port =
      current !== undefined && current >= this.first && current <= this.last && !this.byPort.has(current)
        ? current
        : undefined;
    for (let p = this.first; port === undefined && p <= this.last; p++) if (!this.byPort.has(p)) port = p;
    if (port === undefined)
      throw new Error(
        `no free kubelet port for node ${node}: all ${this.last - this.first + 1} ports of the range are taken`,
      );
    this.byNode.set(node, port);
    this.byPort.set(port, node);
    for (const listener of this.listeners) listener(port);
    return port;
  }

  /** The node a port was given to. */
  nodeAt(port: number): string | undefined {
    return this.byPort.get(port);
  }

  /** Ports given out so far, and a callback for each new one (the server listens on them). */
  ports(): number[] {
    return [...this.byPort.keys()];
  }
  onNewPort(listener: (port: number) => void): void {
    this.listeners.push(listener);
  }
}
