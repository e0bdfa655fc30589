import type { Informer } from '../../informer/informer.ts';
import type { KubeObject } from '../../kube/object.ts';
import type { Pod } from '../../kube/types.ts';
import type { BuiltKind } from '../../sync/kind.ts';
import { classWithheld, FROM_HOST_LABEL, isHostsOwnClass, offersClass } from '../shared/from-host.ts';
import type { LabelSelector } from '../../naming/labels.ts';
import { isSystemPriorityClass } from '../priorityclasses/translate.ts';
import type { JudgedOne, JudgedReference, ReferenceJudge } from './reference-safety.ts';
import { requestedDeviceClasses } from './device-class-requests.ts';

/** The kinds whose names a host pod may carry instead of the syncer's defaults. */
const PRIORITY_TO_HOST = 'priorityclasses';
export const PRIORITY_FROM_HOST = 'host-priorityclasses';
export const RUNTIME_FROM_HOST = 'host-runtimeclasses';
const SERVICE_ACCOUNTS = 'serviceaccounts';

/**
 * The host's own classes of one type as the from-host kind shows them: every class of the host
 * (the pods kind's relation watches the same informer), and the admin's selector, if any.
 */
export interface ShownHostClasses {
  informer: Informer<KubeObject>;
  selector?: LabelSelector;
}

/**
 * How a pod's priority class reaches the host: under a host name, not yet, not at all (dropped), or
 * the pod not at all (an admin's selector withholds the host class it names).
 */
type ClassVerdict =
  | { state: 'ready'; hostName: string }
  | { state: 'waiting'; message: string }
  | { state: 'drop' }
  | { state: 'withheld'; exists: boolean };

/**
 * Which host priority class and service account a pod runs with, when those kinds are synced:
 * - priorityclasses (to the host): a tenant class stands for its host copy; the pod waits until that
 *   copy is provably ours (a class above the allowed maximum never gets one, and its pods wait);
 * - host-priorityclasses (from the host): a host class shown in the virtual cluster keeps its name;
 * - serviceaccounts: the pod runs as the host copy of its virtual service account, and waits for it.
 * System classes (`system-*`) never reach a host pod: the virtual cluster has its own, and the
 * host's would outrank every other workload there. Anything else is dropped, as without these kinds.
 */
export class PodHostIdentity {
  private readonly kinds: ReadonlyMap<string, BuiltKind>;
  private readonly judge: ReferenceJudge;
  private readonly virtualClasses?: Informer<KubeObject>;
  private readonly hostClasses?: Informer<KubeObject>;
  private readonly enforcedPriorityClass?: string;
  private readonly shownPriorityClasses?: ShownHostClasses;
  private readonly shownRuntimeClasses?: ShownHostClasses;
  private readonly shownDeviceClasses?: ShownHostClasses;

  constructor(opts: {
    kinds: ReadonlyMap<string, BuiltKind>;
    judge: ReferenceJudge;
    /** --enforce-priority-class: the host class every pod gets, whatever it names. */
    enforcedPriorityClass?: string;
    virtualClasses?: Informer<KubeObject>;
    hostClasses?: Informer<KubeObject>;
    /** With host-priorityclasses: the host classes a pod may name (shown to the tenant). */
    shownPriorityClasses?: ShownHostClasses;
    /**
     * With host-runtimeclasses (and no --enforce-runtime-class): the only runtime classes a pod may
     * name. A tenant can make a RuntimeClass of any name in its own cluster, which its API server's
     * admission then accepts; the host's class of that name must be one it was shown.
     */
    shownRuntimeClasses?: ShownHostClasses;
    /**
     * With host-deviceclasses: the only device classes a pod may ask for through extended resources
     * (device-class-requests.ts), as its claims may name only those.
     */
    shownDeviceClasses?: ShownHostClasses;
  }) {
    this.kinds = opts.kinds;
    this.judge = opts.judge;
    this.virtualClasses = opts.virtualClasses;
    this.hostClasses = opts.hostClasses;
    this.enforcedPriorityClass = opts.enforcedPriorityClass;
    this.shownPriorityClasses = opts.shownPriorityClasses;
    this.shownRuntimeClasses = opts.shownRuntimeClasses;
    this.shownDeviceClasses = opts.shownDeviceClasses;
  }

  /** Whether service accounts are synced (pods then run as their copies). */
  get syncsServiceAccounts(): boolean {
    return this.kinds.has(SERVICE_ACCOUNTS);
  }

  /**
   * What still keeps a pod off the host for its class or account: refusals and waits; and, when
   * service accounts are synced, the verdict on its account, whose host name the pod runs as (see
   * JudgedNames). A running pod (gaining debug containers) is not held to its runtime class again:
   * it runs with it already, and a class the admin has since stopped offering must not keep
   * `kubectl debug` from it.
   */
  admission(
    pod: Pod,
    running = false,
  ): { refused: string[]; withheld: string[]; waiting: string[]; account?: JudgedOne } {
    const refused: string[] = [];
    const withheld: string[] = [];
    const waiting: string[] = [];
    const named = { words: 'pod', name: pod.metadata?.name ?? '' };
    const priority = pod.spec?.priorityClassName;
    const cls = this.classVerdict(priority);
    if (cls.state === 'waiting') waiting.push(cls.message);
    if (cls.state === 'withheld' && !running)
      withheld.push(classWithheld(named, 'PriorityClass', priority ?? '', cls.exists));
    const runtime = pod.spec?.runtimeClassName;
    const shownRuntimes = this.shownRuntimeClasses;
    if (runtime && !running && shownRuntimes && !isShown(shownRuntimes, runtime))
      withheld.push(classWithheld(named, 'RuntimeClass', runtime, hostClassExists(shownRuntimes, runtime)));
    const shownDevices = this.shownDeviceClasses;
    if (shownDevices && !running)
      for (const device of requestedDeviceClasses(pod, shownDevices.informer.store.list()))
        if (!isShown(shownDevices, device))
          withheld.push(classWithheld(named, 'DeviceClass', device, hostClassExists(shownDevices, device)));
    const account = this.accountVerdict(pod);
    if (account?.verdict.state === 'refused') refused.push(account.verdict.message);
    if (account?.verdict.state === 'waiting') waiting.push(account.verdict.message);
    return { refused, withheld, waiting, ...(account ? { account } : {}) };
  }

  /** The host class a virtual class name stands for, or undefined to drop it. */
  priorityClassNameFor(name: string): string | undefined {
    const verdict = this.classVerdict(name);
    return verdict.state === 'ready' ? verdict.hostName : undefined;
  }

  private classVerdict(name: string | undefined): ClassVerdict {
    if (this.enforcedPriorityClass) return { state: 'ready', hostName: this.enforcedPriorityClass };
    if (!name || isSystemPriorityClass(name)) return { state: 'drop' };
    const virtual = this.virtualClasses?.store.get(name);
    const toHost = this.kinds.get(PRIORITY_TO_HOST);
    if (toHost && virtual && virtual.metadata?.labels?.[FROM_HOST_LABEL] !== 'true') {
      const hostName = toHost.spec.mapper.targetKey(name, virtual);
      const copy = hostName ? this.hostClasses?.store.get(hostName) : undefined;
      const ours =
        copy !== undefined &&
        toHost.spec.mapper.sourceKeyOf(copy) === name &&
        toHost.spec.mapper.sourceUidOf?.(copy) === virtual.metadata?.uid;
      return ours && hostName
        ? { state: 'ready', hostName }
        : { state: 'waiting', message: `PriorityClass "${name}": waiting for its host copy` };
    }
    // Shown from the host: the label alone proves nothing (a tenant may set it on a class of its
    // own), so the host class must be one the tenant is shown.
    const shown = this.shownPriorityClasses;
    if (shown && virtual?.metadata?.labels?.[FROM_HOST_LABEL] === 'true' && isShown(shown, name))
      return { state: 'ready', hostName: name };
    // As in vCluster: while an admin's selector limits the host classes, a pod naming any other class
    // waits with a warning (without one, the class is dropped, as without these kinds).
    if (shown?.selector) return { state: 'withheld', exists: hostClassExists(shown, name) };
    return { state: 'drop' };
  }

  private accountVerdict(pod: Pod): JudgedOne | undefined {
    if (!this.syncsServiceAccounts) return undefined;
    const ref = accountReference(pod.spec?.serviceAccountName || 'default');
    return { ref, verdict: this.judge.judge(pod.metadata?.namespace ?? '', ref) };
  }
}

/** A pod's service account as the judge reads it (a reference that is never optional). */
export function accountReference(name: string): JudgedReference {
  return {
    kind: 'ServiceAccount',
    apiGroup: '',
    name,
    optional: false,
    where: { field: 'spec.serviceAccountName' },
  };
}

/** Whether the host has a class of that name of its own (not a tenant's copy) that the selector picks. */
function isShown(shown: ShownHostClasses, name: string): boolean {
  return hostClassExists(shown, name) && offersClass(shown.selector, shown.informer.store.get(name)!);
}

/** Whether the host has its own class of that name (see isHostsOwnClass). */
const hostClassExists = (shown: ShownHostClasses, name: string): boolean =>
  isHostsOwnClass(shown.informer.store.get(name));
