import { readFileSync } from 'node:fs';
import type { KubeConfig, User } from '@kubernetes/client-node';

/** client-node's authenticator, which its index does not export by name. */
type Authenticator = Parameters<KubeConfig['addAuthenticator']>[0];
type AuthOptions = Parameters<Authenticator['applyAuthentication']>[1];

/**
 * The auth provider a kubeconfig user with a token file is given (see loadKubeConfig), its file
 * under `path`: client-node's own file provider claims any provider whose config has `tokenFile`.
 */
export const TOKEN_FILE_PROVIDER = 'vsyncer-token-file';

/** How long a token read from its file is used before the file is read again (client-go's minute). */
const REREAD_MS = 60_000;

/** The token file of a user loadKubeConfig gave one, or undefined. */
export function tokenFileOf(user: User | null | undefined): string | undefined {
  if (user?.authProvider?.name !== TOKEN_FILE_PROVIDER) return undefined;
  const file = (user.authProvider.config as { path?: unknown } | undefined)?.path;
  return typeof file === 'string' ? file : undefined;
}

/**
 * Reads a kubeconfig user's token file as client-go does for kubectl: trimmed (a file written by
 * `kubectl create token ... > file` ends in a line break, which no Authorization header may hold),
 * and again once a minute, so a rotated token is taken up. client-node's own file provider trims
 * nothing.
 */
export class TokenFileAuth implements Authenticator {
  private token: string | undefined;
  private readAt = -Infinity;

  isAuthProvider(user: User): boolean {
    return tokenFileOf(user) !== undefined;
  }

  applyAuthentication(user: User, opts: AuthOptions): Promise<void> {
    const now = Date.now();
    if (this.token === undefined || now - this.readAt > REREAD_MS) {
      this.token = readFileSync(tokenFileOf(user)!, 'utf8').trim();
      this.readAt = now;
    }
    opts.headers ??= {};
    opts.headers.Authorization = `Bearer ${this.token}`;
    return Promise.resolve();
  }
}

/** The user with its token file named as a field (for the kubeconfig export, which reads the file). */
export function userWithTokenFile(user: User): User & { tokenFile?: string } {
  const tokenFile = tokenFileOf(user);
  return tokenFile ? { ...user, tokenFile } : user;
}
