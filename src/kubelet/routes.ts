/**
 * The kubelet endpoints the virtual API server calls, and how each maps onto the host API's pod
 * subresources. Pure: parsing and query translation only, so every path a client could send is
 * unit-tested without a server.
 */

/** What a kubelet request asks for, once parsed. */
export type KubeletRoute =
  | {
      action: 'logs' | 'exec' | 'attach';
      namespace: string;
      pod: string;
      /** The pod UID when the path carries one (`/exec/{ns}/{pod}/{uid}/{container}`). */
      uid?: string;
      container: string;
      /** The query for the host subresource (`log`, `exec`, `attach`). */
      hostQuery: URLSearchParams;
    }
  | { action: 'portforward'; namespace: string; pod: string; uid?: string; hostQuery: URLSearchParams };

/** The host pod subresource of each action. */
export const HOST_SUBRESOURCE: Record<KubeletRoute['action'], string> = {
  logs: 'log',
  exec: 'exec',
  attach: 'attach',
  portforward: 'portforward',
};

/** A request this server does not answer, with the HTTP status to say so. */
export class RouteError extends Error {
  readonly status: number;
  constructor(status: number, message: string) {
    super(message);
    this.name = 'RouteError';
    this.status = status;
  }
}

// The kubelet's own query names (what the API server sends) → the pod subresource's names.
const LOG_PARAMS = [
  'follow',
  'previous',
  'timestamps',
  'sinceSeconds',
  'sinceTime',
  'tailLines',
  'limitBytes',
];
const STREAM_PARAMS: Record<string, string> = {
  input: 'stdin',
  output: 'stdout',
  error: 'stderr',
  tty: 'tty',
};

const truthy = (v: string | null) => v !== null && v !== '' && v !== '0' && v.toLowerCase() !== 'false';

/**
 * A request's URL (a path and query, as the request line gives it); RouteError 400 when it cannot be
 * one (`//%`, `//a:99999`: read as an authority, which the URL parser refuses).
 */
export function parseRequestUrl(url: string): URL {
  try {
    return new URL(url, 'https://kubelet.invalid');
  } catch {
    throw new RouteError(400, `malformed request URL ${JSON.stringify(url.slice(0, 200))}`);
  }
}

/** Parses `/containerLogs`, `/exec`, `/attach` and `/portForward` URLs; throws RouteError otherwise. */
export function parseKubeletRoute(url: string): KubeletRoute {
  const parsed = parseRequestUrl(url);
  let parts: string[];
  try {
    parts = parsed.pathname.split('/').filter(Boolean).map(decodeURIComponent);
  } catch {
    throw new RouteError(400, `malformed path ${JSON.stringify(parsed.pathname)}`);
  }
  const [endpoint, ...rest] = parts;
  const query = parsed.searchParams;
  const hostQuery = new URLSearchParams();
  switch (endpoint) {
    case 'containerLogs': {
      const { namespace, pod, container } = podPath(
        rest,
        true,
        '/containerLogs/{namespace}/{pod}/{container}',
        false,
      );
      hostQuery.set('container', container!);
      for (const name of LOG_PARAMS) {
        const value = query.get(name);
        if (value !== null) hostQuery.set(name, value);
      }
      return { action: 'logs', namespace, pod, container: container!, hostQuery };
    }
    case 'exec':
    case 'attach': {
      const { namespace, pod, uid, container } = podPath(
        rest,
        true,
        `/${endpoint}/{namespace}/{pod}[/{uid}]/{container}`,
      );
      hostQuery.set('container', container!);
      for (const [kubeletName, podName] of Object.entries(STREAM_PARAMS)) {
        if (truthy(query.get(kubeletName))) hostQuery.set(podName, 'true');
      }
      if (endpoint === 'exec') {
        const command = query.getAll('command');
        if (command.length === 0) throw new RouteError(400, 'exec: no command given');
        for (const arg of command) hostQuery.append('command', arg);
      }
      return { action: endpoint, namespace, pod, uid, container: container!, hostQuery };
    }
    case 'portForward': {
      const { namespace, pod, uid } = podPath(rest, false, '/portForward/{namespace}/{pod}[/{uid}]');
      for (const port of query.getAll('port')) {
        if (!/^\d{1,5}$/.test(port) || Number(port) < 1 || Number(port) > 65535)
          throw new RouteError(400, `portForward: invalid port ${JSON.stringify(port)}`);
        hostQuery.append('ports', port);
      }
      return { action: 'portforward', namespace, pod, uid, hostQuery };
    }
    default:
      throw new RouteError(404, `${parsed.pathname}: not served by the virtual cluster's kubelet endpoint`);
  }
}

function expect(parts: string[], count: number, usage: string): string[] {
  if (parts.length !== count || parts.some((p) => p === '' || p.includes('/')))
    throw new RouteError(400, `path must be ${usage}`);
  return parts;
}

/** `{ns}/{pod}[/{uid}]` followed by `/{container}` when withContainer (the UID only where uidAllowed). */
function podPath(
  parts: string[],
  withContainer: boolean,
  usage: string,
  uidAllowed = true,
): { namespace: string; pod: string; uid?: string; container?: string } {
  const short = withContainer ? 3 : 2;
  const [namespace, pod, ...tail] = expect(
    parts,
    uidAllowed && parts.length === short + 1 ? short + 1 : short,
    usage,
  );
  const container = withContainer ? tail.pop() : undefined;
  return { namespace: namespace!, pod: pod!, uid: tail[0], container };
}

/**
 * The node subresource a real kubelet authorizes a request against (its webhook authorizer):
 * statistics and metrics have their own, everything that reaches into a pod is `proxy`.
 */
export function nodeSubresourceOf(path: string): string {
  if (path.startsWith('/stats')) return 'stats';
  if (path.startsWith('/metrics')) return 'metrics';
  if (path.startsWith('/logs')) return 'log';
  return 'proxy';
}

/** The authorization verb of an HTTP method, as the kubelet maps it. */
export function verbOf(method: string): string {
  switch (method.toUpperCase()) {
    case 'POST':
      return 'create';
    case 'PUT':
      return 'update';
    case 'PATCH':
      return 'patch';
    case 'DELETE':
      return 'delete';
    default:
      return 'get';
  }
}
