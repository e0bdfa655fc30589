/**
 * The Pod Security Standards, as the PodSecurity admission plugin enforces them at version "latest"
 * (Kubernetes v1.37). The syncer evaluates tenant pods with this before creating them on the host, so
 * that a tenant namespace labelled `pod-security.kubernetes.io/enforce` cannot smuggle a pod past the
 * host's own policy, and so that the tenant gets the refusal as an event on its own pod instead of a
 * host-side error it cannot see.
 *
 * Every control of the baseline and restricted profiles is implemented with the plugin's allowed
 * values, its pod-level-default vs container-override rules, its Windows and user-namespace
 * exemptions, its ordering of results and the wording of its forbidden reasons, so that a tenant
 * reading the event sees what `kubectl` would have shown against a real cluster.
 *
 * The input is arbitrary tenant JSON, so nothing here trusts a type. Where the plugin (which only ever
 * sees decoded, typed objects) cannot tell us what a malformed value means, it is read pessimistically:
 *  - a leaf that could grant something (hostNetwork, privileged, a hostPort, a procMount, a probe host,
 *    ...) counts as set when it holds anything except its allowed values (absent, null, false, 0, "");
 *  - a list that could grant something (capabilities.add, ports, volumes, containers) is read as a
 *    one-item list when it is a single value instead of an array;
 *  - a setting that protects (runAsNonRoot=true, drop ["ALL"], allowPrivilegeEscalation=false, a
 *    seccomp type) only counts when it is exactly well-formed;
 *  - an object of the wrong type (a string securityContext, say) is treated as absent: it cannot carry
 *    a named field, and the host API server would refuse such a pod anyway.
 * Those rules only make a malformed pod stricter to admit; no check can throw.
 */

/** The three Pod Security Standards profiles, from least to most restrictive. */
export type PodSecurityLevel = 'privileged' | 'baseline' | 'restricted';

/** Every level, ordered from least to most restrictive (the order {@link stricterLevel} uses). */
export const POD_SECURITY_LEVELS: readonly PodSecurityLevel[] = Object.freeze([
  'privileged',
  'baseline',
  'restricted',
] as const);

/** One failed control of a profile. */
export interface PodSecurityViolation {
  /** The control's name in the Pod Security Standards, e.g. 'Host Namespaces'. */
  control: string;
  /** The admission plugin's check id, e.g. 'hostNamespaces'. */
  check: string;
  /**
   * What is wrong, in the admission plugin's wording: the forbidden reason followed by the detail in
   * parentheses, e.g. 'host namespaces (hostNetwork=true)'.
   */
  message: string;
}

/** The namespace label the PodSecurity admission plugin reads the enforced level from. */
export const ENFORCE_LABEL = 'pod-security.kubernetes.io/enforce';

type Obj = Record<string, unknown>;

const isRecord = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);

/** Own properties only, so that a key such as `constructor` never reaches Object.prototype. */
const field = (o: unknown, key: string): unknown =>
  isRecord(o) && Object.prototype.hasOwnProperty.call(o, key) ? o[key] : undefined;

const record = (v: unknown): Obj | undefined => (isRecord(v) ? v : undefined);

/** JSON null is how a client says "unset", exactly like leaving the field out. */
const isSet = (v: unknown): boolean => v !== undefined && v !== null;

/** A list that could grant something: a lone value is read as a one-item list rather than ignored. */
const grantList = (v: unknown): unknown[] => (Array.isArray(v) ? v : isSet(v) ? [v] : []);

/** A value as it should appear in a message; the plugin's values are all strings or numbers. */
function text(v: unknown): string {
  if (typeof v === 'string') return v;
  if (v === undefined || v === null) return '';
  if (typeof v === 'number' || typeof v === 'boolean' || typeof v === 'bigint') return String(v);
  try {
    return JSON.stringify(v) ?? typeof v;
  } catch {
    // Circular or otherwise unserialisable: still say something rather than throw.
    return typeof v;
  }
}

/** The plugin's results list values sorted byte-wise (Go's sort.Strings); default sort matches for ASCII. */
const sorted = (values: Iterable<string>): string[] => [...values].sort();

const plural = (singular: string, pluralForm: string, count: number): string =>
  count === 1 ? singular : pluralForm;

const joinQuote = (items: readonly string[]): string => (items.length === 0 ? '' : `"${items.join('", "')}"`);

/** 'container "a"' / 'containers "a", "b"': the subject of most container-level details. */
const containersPhrase = (names: readonly string[]): string =>
  `${plural('container', 'containers', names.length)} ${joinQuote(names)}`;

interface ContainerView {
  name: string;
  raw: Obj;
  /** The container's securityContext, or undefined when absent or not an object. */
  sc: Obj | undefined;
}

interface PodView {
  annotations: Obj | undefined;
  spec: Obj;
  /** The pod-level securityContext, or undefined when absent or not an object. */
  sc: Obj | undefined;
  /** Init, regular and ephemeral containers, in that order, as the plugin visits them. */
  containers: ContainerView[];
  /** spec.os.name=windows: some restricted controls are Linux-only. */
  windows: boolean;
  /** spec.hostUsers=false: the pod runs in a user namespace, which relaxes the root-related controls. */
  userNamespace: boolean;
}

function viewPod(pod: unknown): PodView {
  const spec = record(field(pod, 'spec')) ?? {};
  const containers: ContainerView[] = [];
  for (const list of ['initContainers', 'containers', 'ephemeralContainers']) {
    for (const item of grantList(field(spec, list))) {
      // A container that is not an object still runs something; keep it so required settings fail.
      const raw = record(item) ?? {};
      containers.push({ name: text(field(raw, 'name')), raw, sc: record(field(raw, 'securityContext')) });
    }
  }
  return {
    annotations: record(field(field(pod, 'metadata'), 'annotations')),
    spec,
    sc: record(field(spec, 'securityContext')),
    containers,
    windows: field(field(spec, 'os'), 'name') === 'windows',
    userNamespace: field(spec, 'hostUsers') === false,
  };
}

/** A failed check before it is dressed as a violation. */
interface Finding {
  reason: string;
  detail: string;
}

interface Check {
  id: string;
  control: string;
  level: 'baseline' | 'restricted';
  /** A baseline check this restricted check replaces (the restricted one is a superset of it). */
  overrides?: string;
  /**
   * When the restricted check does not apply to a pod (Windows pods for some Linux-only controls), the
   * baseline check it overrides still runs. The plugin drops the baseline check regardless, letting a
   * Windows pod with e.g. an Unconfined seccomp profile pass restricted while failing baseline; such a
   * pod is invalid anyway, and keeping the baseline check guarantees restricted is never weaker.
   */
  appliesTo?: (pod: PodView) => boolean;
  run: (pod: PodView) => Finding | undefined;
}

// --- baseline -------------------------------------------------------------------------------------

const APPARMOR_ANNOTATION_PREFIX = 'container.apparmor.security.beta.kubernetes.io/';

function appArmorProfile(pod: PodView): Finding | undefined {
  const setters: string[] = [];
  const badValues = new Set<string>();
  const badType = (sc: Obj | undefined): boolean => {
    const profile = record(field(sc, 'appArmorProfile'));
    if (!profile) return false;
    const type = field(profile, 'type');
    if (type === 'RuntimeDefault' || type === 'Localhost') return false;
    // A profile object without a type is Unconfined-by-omission to the plugin: reported as "".
    badValues.add(text(type));
    return true;
  };
  if (badType(pod.sc)) setters.push('pod');
  const badContainers = pod.containers.filter((c) => badType(c.sc)).map((c) => c.name);
  if (badContainers.length > 0) setters.push(containersPhrase(badContainers));

  // The deprecated beta annotations are still honoured by the kubelet, so they are still checked.
  const badAnnotations: string[] = [];
  for (const [key, value] of Object.entries(pod.annotations ?? {})) {
    if (!key.startsWith(APPARMOR_ANNOTATION_PREFIX)) continue;
    const allowed =
      typeof value === 'string' &&
      (value === '' || value === 'runtime/default' || value.startsWith('localhost/'));
    if (!allowed) badAnnotations.push(`${key}=${JSON.stringify(text(value))}`);
  }
  const values = [...sorted(badValues), ...sorted(badAnnotations)];
  if (badAnnotations.length > 0) setters.push(plural('annotation', 'annotations', badAnnotations.length));

  if (setters.length === 0) return undefined;
  return {
    reason: plural('forbidden AppArmor profile', 'forbidden AppArmor profiles', values.length),
    detail: `${setters.join(' and ')} must not set AppArmor profile type to ${joinQuote(values)}`,
  };
}

/** The container runtimes' default capability set: adding these back grants nothing new. */
const DEFAULT_CAPABILITIES = new Set([
  'AUDIT_WRITE',
  'CHOWN',
  'DAC_OVERRIDE',
  'FOWNER',
  'FSETID',
  'KILL',
  'MKNOD',
  'NET_BIND_SERVICE',
  'SETFCAP',
  'SETGID',
  'SETPCAP',
  'SETUID',
  'SYS_CHROOT',
]);

function capabilitiesBaseline(pod: PodView): Finding | undefined {
  const badContainers: string[] = [];
  const added = new Set<string>();
  for (const c of pod.containers) {
    let bad = false;
    for (const cap of grantList(field(record(field(c.sc, 'capabilities')), 'add'))) {
      if (typeof cap === 'string' && DEFAULT_CAPABILITIES.has(cap)) continue;
      bad = true;
      added.add(text(cap));
    }
    if (bad) badContainers.push(c.name);
  }
  if (badContainers.length === 0) return undefined;
  return {
    reason: 'non-default capabilities',
    detail: `${containersPhrase(badContainers)} must not include ${joinQuote(sorted(added))} in securityContext.capabilities.add`,
  };
}

/** Anything but absent/null/false, so that a truthy non-boolean cannot slip through. */
const grantsFlag = (v: unknown): boolean => isSet(v) && v !== false;

function hostNamespaces(pod: PodView): Finding | undefined {
  const shared: string[] = [];
  for (const key of ['hostNetwork', 'hostPID', 'hostIPC']) {
    const value = field(pod.spec, key);
    if (grantsFlag(value)) shared.push(`${key}=${value === true ? 'true' : text(value)}`);
  }
  if (shared.length === 0) return undefined;
  return { reason: 'host namespaces', detail: shared.join(', ') };
}

const volumes = (pod: PodView): unknown[] => grantList(field(pod.spec, 'volumes'));

function hostPathVolumes(pod: PodView): Finding | undefined {
  const names = volumes(pod)
    .filter((v) => isSet(field(v, 'hostPath')))
    .map((v) => text(field(v, 'name')));
  if (names.length === 0) return undefined;
  return {
    reason: 'hostPath volumes',
    detail: `${plural('volume', 'volumes', names.length)} ${joinQuote(names)}`,
  };
}

function hostPorts(pod: PodView): Finding | undefined {
  const badContainers: string[] = [];
  const ports = new Set<string>();
  for (const c of pod.containers) {
    let bad = false;
    for (const port of grantList(field(c.raw, 'ports'))) {
      const hostPort = field(port, 'hostPort');
      if (!isSet(hostPort) || hostPort === 0) continue;
      bad = true;
      ports.add(text(hostPort));
    }
    if (bad) badContainers.push(c.name);
  }
  if (badContainers.length === 0) return undefined;
  return {
    reason: 'hostPort',
    detail: [
      containersPhrase(badContainers),
      plural('uses', 'use', badContainers.length),
      plural('hostPort', 'hostPorts', ports.size),
      sorted(ports).join(', '),
    ].join(' '),
  };
}

/**
 * Hosts named by a probe or lifecycle handler: with a host set, the kubelet connects from the node's
 * network namespace to any address, which lets a pod reach what only the node should.
 */
function handlerHosts(handler: unknown): string[] {
  const hosts: string[] = [];
  for (const action of ['httpGet', 'tcpSocket']) {
    const host = field(record(field(handler, action)), 'host');
    if (isSet(host) && host !== '') hosts.push(text(host));
  }
  return hosts;
}

function hostProbesAndHostLifecycle(pod: PodView): Finding | undefined {
  const badContainers = new Set<string>();
  const hosts = new Set<string>();
  for (const c of pod.containers) {
    const lifecycle = record(field(c.raw, 'lifecycle'));
    const handlers = [
      field(c.raw, 'livenessProbe'),
      field(c.raw, 'readinessProbe'),
      field(c.raw, 'startupProbe'),
      field(lifecycle, 'postStart'),
      field(lifecycle, 'preStop'),
    ];
    for (const handler of handlers) {
      const found = handlerHosts(handler);
      if (found.length === 0) continue;
      badContainers.add(c.name);
      for (const host of found) hosts.add(host);
    }
  }
  if (badContainers.size === 0) return undefined;
  // Unlike the other container checks the plugin collects these into sets: sorted and de-duplicated.
  return {
    reason: 'probe or lifecycle host',
    detail: [
      containersPhrase(sorted(badContainers)),
      plural('uses', 'use', badContainers.size),
      plural('probe or lifecycle host', 'probe or lifecycle hosts', hosts.size),
      joinQuote(sorted(hosts)),
    ].join(' '),
  };
}

function privileged(pod: PodView): Finding | undefined {
  const bad = pod.containers.filter((c) => grantsFlag(field(c.sc, 'privileged'))).map((c) => c.name);
  if (bad.length === 0) return undefined;
  return {
    reason: 'privileged',
    detail: `${containersPhrase(bad)} must not set securityContext.privileged=true`,
  };
}

function procMountFinding(pod: PodView): Finding | undefined {
  const bad: string[] = [];
  const types = new Set<string>();
  for (const c of pod.containers) {
    const procMount = field(c.sc, 'procMount');
    // Any set value but Default unmasks /proc, including "" (the plugin compares the raw value).
    if (!isSet(procMount) || procMount === 'Default') continue;
    bad.push(c.name);
    types.add(text(procMount));
  }
  if (bad.length === 0) return undefined;
  return {
    reason: 'procMount',
    detail: `${containersPhrase(bad)} must not set securityContext.procMount to ${joinQuote(sorted(types))}`,
  };
}

/** In a user namespace an unmasked /proc only exposes the pod's own namespace, so baseline allows it. */
const procMountBaseline = (pod: PodView): Finding | undefined =>
  pod.userNamespace ? undefined : procMountFinding(pod);

const SELINUX_ALLOWED_TYPES = new Set([
  '',
  'container_t',
  'container_init_t',
  'container_kvm_t',
  'container_engine_t',
]);

function seLinuxOptions(pod: PodView): Finding | undefined {
  const setters: string[] = [];
  const badTypes = new Set<string>();
  let setUser = false;
  let setRole = false;
  const bad = (sc: Obj | undefined): boolean => {
    const options = record(field(sc, 'seLinuxOptions'));
    if (!options) return false;
    let invalid = false;
    const type = field(options, 'type');
    if (isSet(type) && !(typeof type === 'string' && SELINUX_ALLOWED_TYPES.has(type))) {
      invalid = true;
      badTypes.add(text(type));
    }
    const user = field(options, 'user');
    if (isSet(user) && user !== '') {
      invalid = true;
      setUser = true;
    }
    const role = field(options, 'role');
    if (isSet(role) && role !== '') {
      invalid = true;
      setRole = true;
    }
    return invalid;
  };
  if (bad(pod.sc)) setters.push('pod');
  const badContainers = pod.containers.filter((c) => bad(c.sc)).map((c) => c.name);
  if (badContainers.length > 0) setters.push(containersPhrase(badContainers));
  if (setters.length === 0) return undefined;

  const what: string[] = [];
  if (badTypes.size > 0)
    what.push(`${plural('type', 'types', badTypes.size)} ${joinQuote(sorted(badTypes))}`);
  if (setUser) what.push('user may not be set');
  if (setRole) what.push('role may not be set');
  return {
    reason: 'seLinuxOptions',
    detail: `${setters.join(' and ')} set forbidden securityContext.seLinuxOptions: ${what.join('; ')}`,
  };
}

const validSeccompType = (type: unknown): boolean => type === 'RuntimeDefault' || type === 'Localhost';

/**
 * Shared by both seccomp checks: pod and containers that set a profile other than RuntimeDefault or
 * Localhost, and containers left without a valid profile of their own or from the pod.
 */
function seccompProfiles(pod: PodView) {
  const setters: string[] = [];
  const badValues = new Set<string>();
  let podValid = false;
  const podProfile = record(field(pod.sc, 'seccompProfile'));
  if (podProfile) {
    const type = field(podProfile, 'type');
    if (validSeccompType(type)) podValid = true;
    else {
      setters.push('pod');
      badValues.add(text(type));
    }
  }
  const explicit: string[] = [];
  const implicit: string[] = [];
  for (const c of pod.containers) {
    const profile = record(field(c.sc, 'seccompProfile'));
    if (profile) {
      const type = field(profile, 'type');
      if (!validSeccompType(type)) {
        explicit.push(c.name);
        badValues.add(text(type));
      }
    } else if (!podValid) implicit.push(c.name);
  }
  if (explicit.length > 0) setters.push(containersPhrase(explicit));
  const explicitFinding: Finding | undefined =
    setters.length === 0
      ? undefined
      : {
          reason: 'seccompProfile',
          detail: `${setters.join(' and ')} must not set securityContext.seccompProfile.type to ${joinQuote(sorted(badValues))}`,
        };
  return { explicitFinding, implicit };
}

/** Baseline only forbids explicitly unconfining seccomp; leaving it unset is the runtime's default. */
const seccompProfileBaseline = (pod: PodView): Finding | undefined => seccompProfiles(pod).explicitFinding;

/** Namespaced sysctls that are isolated per pod, as allowed by the v1.37 policy. */
const SAFE_SYSCTLS = new Set([
  'kernel.shm_rmid_forced',
  'net.ipv4.ip_local_port_range',
  'net.ipv4.ip_unprivileged_port_start',
  'net.ipv4.tcp_syncookies',
  'net.ipv4.ping_group_range',
  'net.ipv4.ip_local_reserved_ports',
  'net.ipv4.tcp_keepalive_time',
  'net.ipv4.tcp_fin_timeout',
  'net.ipv4.tcp_keepalive_intvl',
  'net.ipv4.tcp_keepalive_probes',
  'net.ipv4.tcp_rmem',
  'net.ipv4.tcp_wmem',
  'net.ipv4.tcp_slow_start_after_idle',
  'net.ipv4.tcp_notsent_lowat',
]);

function sysctls(pod: PodView): Finding | undefined {
  const forbidden: string[] = [];
  for (const sysctl of grantList(field(pod.sc, 'sysctls'))) {
    // An entry that is not an object names no sysctl, so there is nothing for the kubelet to set.
    if (!isRecord(sysctl)) continue;
    const name = field(sysctl, 'name');
    if (!(typeof name === 'string' && SAFE_SYSCTLS.has(name))) forbidden.push(text(name));
  }
  if (forbidden.length === 0) return undefined;
  // In spec order, duplicates kept: the plugin reports the list as written.
  return { reason: 'forbidden sysctls', detail: forbidden.join(', ') };
}

function windowsHostProcess(pod: PodView): Finding | undefined {
  const hostProcess = (sc: Obj | undefined) =>
    grantsFlag(field(record(field(sc, 'windowsOptions')), 'hostProcess'));
  const setters: string[] = [];
  if (hostProcess(pod.sc)) setters.push('pod');
  const bad = pod.containers.filter((c) => hostProcess(c.sc)).map((c) => c.name);
  if (bad.length > 0) setters.push(containersPhrase(bad));
  if (setters.length === 0) return undefined;
  return {
    reason: 'hostProcess',
    detail: `${setters.join(' and ')} must not set securityContext.windowsOptions.hostProcess=true`,
  };
}

// --- restricted -----------------------------------------------------------------------------------

function allowPrivilegeEscalation(pod: PodView): Finding | undefined {
  // Windows has no setuid escalation and the API forbids the field there, so it cannot be required.
  if (pod.windows) return undefined;
  const bad = pod.containers
    .filter((c) => field(c.sc, 'allowPrivilegeEscalation') !== false)
    .map((c) => c.name);
  if (bad.length === 0) return undefined;
  return {
    reason: 'allowPrivilegeEscalation != false',
    detail: `${containersPhrase(bad)} must set securityContext.allowPrivilegeEscalation=false`,
  };
}

function capabilitiesRestricted(pod: PodView): Finding | undefined {
  const missingDropAll: string[] = [];
  const addingForbidden: string[] = [];
  const forbidden = new Set<string>();
  for (const c of pod.containers) {
    const capabilities = record(field(c.sc, 'capabilities'));
    if (!capabilities) {
      missingDropAll.push(c.name);
      continue;
    }
    const drop = field(capabilities, 'drop');
    if (!(Array.isArray(drop) && drop.includes('ALL'))) missingDropAll.push(c.name);
    let bad = false;
    for (const cap of grantList(field(capabilities, 'add'))) {
      if (cap === 'NET_BIND_SERVICE') continue;
      bad = true;
      forbidden.add(text(cap));
    }
    if (bad) addingForbidden.push(c.name);
  }
  const details: string[] = [];
  if (missingDropAll.length > 0)
    details.push(`${containersPhrase(missingDropAll)} must set securityContext.capabilities.drop=["ALL"]`);
  if (addingForbidden.length > 0)
    details.push(
      `${containersPhrase(addingForbidden)} must not include ${joinQuote(sorted(forbidden))} in securityContext.capabilities.add`,
    );
  if (details.length === 0) return undefined;
  return { reason: 'unrestricted capabilities', detail: details.join('; ') };
}

/** Volume sources restricted pods may use: none of them exposes the node or an unmanaged remote store. */
const ALLOWED_VOLUME_SOURCES = [
  'configMap',
  'csi',
  'downwardAPI',
  'emptyDir',
  'ephemeral',
  'image',
  'persistentVolumeClaim',
  'projected',
  'secret',
];

/** Every other in-tree source, in the order the plugin names the first one it finds. */
export const RESTRICTED_VOLUME_SOURCES: readonly string[] = [
  'hostPath',
  'gcePersistentDisk',
  'awsElasticBlockStore',
  'gitRepo',
  'nfs',
  'iscsi',
  'glusterfs',
  'rbd',
  'flexVolume',
  'cinder',
  'cephfs',
  'flocker',
  'fc',
  'azureFile',
  'vsphereVolume',
  'quobyte',
  'azureDisk',
  'photonPersistentDisk',
  'portworxVolume',
  'scaleIO',
  'storageos',
];

function restrictedVolumes(pod: PodView): Finding | undefined {
  const badVolumes: string[] = [];
  const badTypes = new Set<string>();
  for (const volume of volumes(pod)) {
    const restricted = RESTRICTED_VOLUME_SOURCES.find((source) => isSet(field(volume, source)));
    const allowed = ALLOWED_VOLUME_SOURCES.some((source) => isRecord(field(volume, source)));
    // The plugin lets an allowed source mask a restricted one in the same (API-invalid) volume; here a
    // restricted source always counts, since this check replaces the baseline hostPath check.
    if (allowed && restricted === undefined) continue;
    badVolumes.push(text(field(volume, 'name')));
    badTypes.add(restricted ?? 'unknown');
  }
  if (badVolumes.length === 0) return undefined;
  return {
    reason: 'restricted volume types',
    detail: [
      `${plural('volume', 'volumes', badVolumes.length)} ${joinQuote(badVolumes)}`,
      plural('uses', 'use', badVolumes.length),
      plural('restricted volume type', 'restricted volume types', badTypes.size),
      joinQuote(sorted(badTypes)),
    ].join(' '),
  };
}

function runAsNonRoot(pod: PodView): Finding | undefined {
  // Root inside a user namespace maps to an unprivileged host user.
  if (pod.userNamespace) return undefined;
  const setters: string[] = [];
  let podNonRoot = false;
  const podValue = field(pod.sc, 'runAsNonRoot');
  if (podValue === true) podNonRoot = true;
  else if (isSet(podValue)) setters.push('pod');

  const explicit: string[] = [];
  const implicit: string[] = [];
  for (const c of pod.containers) {
    const value = field(c.sc, 'runAsNonRoot');
    // A container's own setting wins over the pod's, so an explicit false is bad even under pod=true.
    if (isSet(value)) {
      if (value !== true) explicit.push(c.name);
    } else if (!podNonRoot) implicit.push(c.name);
  }
  if (explicit.length > 0) setters.push(containersPhrase(explicit));
  if (setters.length > 0)
    return {
      reason: 'runAsNonRoot != true',
      detail: `${setters.join(' and ')} must not set securityContext.runAsNonRoot=false`,
    };
  if (implicit.length > 0)
    return {
      reason: 'runAsNonRoot != true',
      detail: `pod or ${containersPhrase(implicit)} must set securityContext.runAsNonRoot=true`,
    };
  return undefined;
}

function runAsUser(pod: PodView): Finding | undefined {
  if (pod.userNamespace) return undefined;
  // Only an explicit UID 0 is refused; a non-numeric value cannot be shown not to be root.
  const root = (v: unknown) => isSet(v) && !(typeof v === 'number' && v !== 0);
  const setters: string[] = [];
  if (root(field(pod.sc, 'runAsUser'))) setters.push('pod');
  const bad = pod.containers.filter((c) => root(field(c.sc, 'runAsUser'))).map((c) => c.name);
  if (bad.length > 0) setters.push(containersPhrase(bad));
  if (setters.length === 0) return undefined;
  return { reason: 'runAsUser=0', detail: `${setters.join(' and ')} must not set runAsUser=0` };
}

function seccompProfileRestricted(pod: PodView): Finding | undefined {
  const { explicitFinding, implicit } = seccompProfiles(pod);
  if (explicitFinding) return explicitFinding;
  if (implicit.length === 0) return undefined;
  return {
    reason: 'seccompProfile',
    detail: `pod or ${containersPhrase(implicit)} must set securityContext.seccompProfile.type to "RuntimeDefault" or "Localhost"`,
  };
}

const linuxOnly = (pod: PodView): boolean => !pod.windows;

/**
 * Every check, baseline ones first, each group sorted by id: the order in which the plugin reports
 * them, so a summary reads the same as the plugin's error.
 */
const CHECKS: readonly Check[] = [
  { id: 'appArmorProfile', control: 'AppArmor', level: 'baseline', run: appArmorProfile },
  { id: 'capabilities_baseline', control: 'Capabilities', level: 'baseline', run: capabilitiesBaseline },
  { id: 'hostNamespaces', control: 'Host Namespaces', level: 'baseline', run: hostNamespaces },
  { id: 'hostPathVolumes', control: 'HostPath Volumes', level: 'baseline', run: hostPathVolumes },
  { id: 'hostPorts', control: 'Host Ports', level: 'baseline', run: hostPorts },
  {
    id: 'hostProbesAndHostLifecycle',
    control: 'Host Probes / Lifecycle Hooks',
    level: 'baseline',
    run: hostProbesAndHostLifecycle,
  },
  { id: 'privileged', control: 'Privileged Containers', level: 'baseline', run: privileged },
  { id: 'procMount', control: '/proc Mount Type', level: 'baseline', run: procMountBaseline },
  { id: 'seLinuxOptions', control: 'SELinux', level: 'baseline', run: seLinuxOptions },
  { id: 'seccompProfile_baseline', control: 'Seccomp', level: 'baseline', run: seccompProfileBaseline },
  { id: 'sysctls', control: 'Sysctls', level: 'baseline', run: sysctls },
  { id: 'windowsHostProcess', control: 'HostProcess', level: 'baseline', run: windowsHostProcess },
  {
    id: 'allowPrivilegeEscalation',
    control: 'Privilege Escalation',
    level: 'restricted',
    run: allowPrivilegeEscalation,
  },
  {
    id: 'capabilities_restricted',
    control: 'Capabilities',
    level: 'restricted',
    overrides: 'capabilities_baseline',
    appliesTo: linuxOnly,
    run: capabilitiesRestricted,
  },
  {
    id: 'procMount_restricted',
    control: '/proc Mount Type',
    level: 'restricted',
    // Restricted keeps refusing unmasked /proc even in a user namespace.
    overrides: 'procMount',
    run: procMountFinding,
  },
  {
    id: 'restrictedVolumes',
    control: 'Volume Types',
    level: 'restricted',
    overrides: 'hostPathVolumes',
    run: restrictedVolumes,
  },
  { id: 'runAsNonRoot', control: 'Running as Non-root', level: 'restricted', run: runAsNonRoot },
  { id: 'runAsUser', control: 'Running as Non-root user', level: 'restricted', run: runAsUser },
  {
    id: 'seccompProfile_restricted',
    control: 'Seccomp',
    level: 'restricted',
    overrides: 'seccompProfile_baseline',
    appliesTo: linuxOnly,
    run: seccompProfileRestricted,
  },
];

const isLevel = (v: unknown): v is PodSecurityLevel =>
  typeof v === 'string' && (POD_SECURITY_LEVELS as readonly string[]).includes(v);

/**
 * Every violation of `level` by the pod, in the admission plugin's order; restricted includes
 * baseline, and privileged never refuses. An unknown level is evaluated as restricted, as the plugin
 * does with a label it cannot parse. Never throws, whatever the pod holds.
 */
export function checkPodSecurity(
  pod: { metadata?: { annotations?: Record<string, string> }; spec?: unknown },
  level: PodSecurityLevel,
): PodSecurityViolation[] {
  const effective: PodSecurityLevel = isLevel(level) ? level : 'restricted';
  if (effective === 'privileged') return [];
  let view: PodView;
  try {
    view = viewPod(pod);
  } catch {
    // Only exotic objects (throwing getters, proxies) get here, never parsed JSON; a pod that cannot
    // be read cannot be shown to comply, so it is refused rather than waved through.
    return [
      { control: 'Pod Security Standards', check: 'unreadable', message: 'pod could not be evaluated' },
    ];
  }

  const active = CHECKS.filter((check) => {
    if (check.level === 'restricted') return effective === 'restricted' && (check.appliesTo?.(view) ?? true);
    if (effective === 'baseline') return true;
    return !CHECKS.some((r) => r.overrides === check.id && (r.appliesTo?.(view) ?? true));
  });

  const violations: PodSecurityViolation[] = [];
  for (const check of active) {
    let finding: Finding | undefined;
    try {
      finding = check.run(view);
    } catch {
      // A security gate must not wave a pod through because it could not read it.
      finding = { reason: check.id, detail: 'pod could not be evaluated' };
    }
    if (finding)
      violations.push({
        control: check.control,
        check: check.id,
        message: finding.detail ? `${finding.reason} (${finding.detail})` : finding.reason,
      });
  }
  return violations;
}

/**
 * The violations of `level` a pod's user namespace (`hostUsers: false`) excuses: those it would have
 * without one. A host whose API server does not serve user namespaces drops the field, and there the
 * pod would run as root of the node; empty when the pod asks for none or needs none.
 */
export function excusedByUserNamespace(
  pod: { metadata?: { annotations?: Record<string, string> }; spec?: unknown },
  level: PodSecurityLevel,
): PodSecurityViolation[] {
  const spec = pod.spec as Record<string, unknown> | undefined;
  if (spec?.hostUsers !== false) return [];
  const { hostUsers: _asked, ...withoutUserNamespace } = spec;
  return checkPodSecurity({ ...pod, spec: withoutUserNamespace }, level);
}

/** The stricter of two levels (restricted > baseline > privileged); an unknown value counts as restricted. */
export function stricterLevel(a: PodSecurityLevel, b: PodSecurityLevel): PodSecurityLevel {
  const rank = (l: PodSecurityLevel) =>
    isLevel(l) ? POD_SECURITY_LEVELS.indexOf(l) : POD_SECURITY_LEVELS.length;
  const stricter = rank(a) >= rank(b) ? a : b;
  return isLevel(stricter) ? stricter : 'restricted';
}

/**
 * A namespace's `pod-security.kubernetes.io/enforce` label as a level, or undefined when the label is
 * absent or not exactly one of the level names (the plugin, too, matches them case-sensitively).
 */
export function namespaceEnforceLevel(
  labels: Record<string, string> | undefined,
): PodSecurityLevel | undefined {
  const value = field(labels, ENFORCE_LABEL);
  return isLevel(value) ? value : undefined;
}

/**
 * The level a namespace's pods must meet: the floor the syncer was given, or the namespace's own
 * enforce label where that is stricter (a label can only tighten it).
 */
export function namespaceLevel(
  labels: Record<string, string> | undefined,
  floor: PodSecurityLevel,
): PodSecurityLevel {
  const own = namespaceEnforceLevel(labels);
  return own ? stricterLevel(floor, own) : floor;
}

/**
 * One line for a tenant event, worded like the plugin's refusal, e.g.
 * `violates PodSecurity "baseline:latest": host namespaces (hostNetwork=true), privileged (...)`.
 */
export function describeViolations(level: PodSecurityLevel, violations: PodSecurityViolation[]): string {
  if (violations.length === 0) return `satisfies PodSecurity "${level}:latest"`;
  return `violates PodSecurity "${level}:latest": ${violations.map((v) => v.message).join(', ')}`;
}
