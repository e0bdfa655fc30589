import {
  checkPodSecurity,
  describeViolations,
  namespaceEnforceLevel,
  POD_SECURITY_LEVELS,
  stricterLevel,
  type PodSecurityLevel,
} from './pod-security.ts';

type Obj = Record<string, unknown>;
type Pod = Parameters<typeof checkPodSecurity>[0];
interface TestPod {
  metadata?: { annotations?: Record<string, string> };
  spec: Obj;
}

/** A container security context that satisfies every restricted control on its own. */
const restrictedSC = (extra: Obj = {}): Obj => ({
  allowPrivilegeEscalation: false,
  runAsNonRoot: true,
  seccompProfile: { type: 'RuntimeDefault' },
  capabilities: { drop: ['ALL'] },
  ...extra,
});

const ctr = (name: string, sc: Obj = {}, extra: Obj = {}): Obj => ({
  name,
  image: 'registry.example/app:1',
  securityContext: restrictedSC(sc),
  ...extra,
});

/** A restricted-compliant pod with one container "c", changed by `spec` (merged over the top). */
const pod = (spec: Obj = {}, annotations?: Record<string, string>): TestPod => ({
  ...(annotations ? { metadata: { annotations } } : {}),
  spec: { containers: [ctr('c')], ...spec },
});

const withCtr = (sc: Obj, extra: Obj = {}): TestPod => pod({ containers: [ctr('c', sc, extra)] });

const ids = (pod: Pod, level: PodSecurityLevel) => checkPodSecurity(pod, level).map((v) => v.check);

interface Row {
  title: string;
  level: 'baseline' | 'restricted';
  control: string;
  check: string;
  bad: TestPod;
  message: string;
  /** For baseline rows: what restricted reports instead, where a restricted check overrides this one. */
  atRestricted?: { control?: string; check: string; message: string };
  /** The nearest variant that complies with both profiles. */
  ok: TestPod;
}

const rows: Row[] = [
  // --- baseline ----------------------------------------------------------------------------------
  {
    title: 'pod-level hostProcess',
    level: 'baseline',
    control: 'HostProcess',
    check: 'windowsHostProcess',
    bad: pod({ securityContext: { windowsOptions: { hostProcess: true } } }),
    message: 'hostProcess (pod must not set securityContext.windowsOptions.hostProcess=true)',
    ok: pod({ securityContext: { windowsOptions: { hostProcess: false } } }),
  },
  {
    title: 'hostProcess on pod, a container and an ephemeral container',
    level: 'baseline',
    control: 'HostProcess',
    check: 'windowsHostProcess',
    bad: pod({
      securityContext: { windowsOptions: { hostProcess: true } },
      containers: [ctr('a', { windowsOptions: { hostProcess: true } }), ctr('b')],
      ephemeralContainers: [ctr('e', { windowsOptions: { hostProcess: true } })],
    }),
    message:
      'hostProcess (pod and containers "a", "e" must not set securityContext.windowsOptions.hostProcess=true)',
    ok: pod({ containers: [ctr('a', { windowsOptions: { hostProcess: null } })] }),
  },
  {
    title: 'hostNetwork',
    level: 'baseline',
    control: 'Host Namespaces',
    check: 'hostNamespaces',
    bad: pod({ hostNetwork: true }),
    message: 'host namespaces (hostNetwork=true)',
    ok: pod({ hostNetwork: false }),
  },
  {
    title: 'every host namespace',
    level: 'baseline',
    control: 'Host Namespaces',
    check: 'hostNamespaces',
    bad: pod({ hostIPC: true, hostPID: true, hostNetwork: true }),
    message: 'host namespaces (hostNetwork=true, hostPID=true, hostIPC=true)',
    ok: pod({ hostIPC: false, hostPID: false, hostNetwork: false }),
  },
  {
    title: 'privileged init container',
    level: 'baseline',
    control: 'Privileged Containers',
    check: 'privileged',
    bad: pod({ initContainers: [ctr('init', { privileged: true })] }),
    message: 'privileged (container "init" must not set securityContext.privileged=true)',
    ok: pod({ initContainers: [ctr('init', { privileged: false })] }),
  },
  {
    title: 'a capability beyond the default set',
    level: 'baseline',
    control: 'Capabilities',
    check: 'capabilities_baseline',
    bad: withCtr({ capabilities: { drop: ['ALL'], add: ['NET_ADMIN', 'CHOWN'] } }),
    message:
      'non-default capabilities (container "c" must not include "NET_ADMIN" in securityContext.capabilities.add)',
    atRestricted: {
      check: 'capabilities_restricted',
      message:
        'unrestricted capabilities (container "c" must not include "CHOWN", "NET_ADMIN" in securityContext.capabilities.add)',
    },
    ok: withCtr({ capabilities: { drop: ['ALL'], add: ['NET_BIND_SERVICE'] } }),
  },
  {
    title: 'hostPath volume',
    level: 'baseline',
    control: 'HostPath Volumes',
    check: 'hostPathVolumes',
    bad: pod({ volumes: [{ name: 'host', hostPath: { path: '/' } }] }),
    message: 'hostPath volumes (volume "host")',
    atRestricted: {
      control: 'Volume Types',
      check: 'restrictedVolumes',
      message: 'restricted volume types (volume "host" uses restricted volume type "hostPath")',
    },
    ok: pod({ volumes: [{ name: 'host', emptyDir: {} }] }),
  },
  {
    title: 'hostPorts in two containers',
    level: 'baseline',
    control: 'Host Ports',
    check: 'hostPorts',
    bad: pod({
      containers: [
        ctr('c', {}, { ports: [{ containerPort: 80, hostPort: 8080 }] }),
        ctr('b', {}, { ports: [{ containerPort: 80 }, { containerPort: 81, hostPort: 80 }] }),
      ],
    }),
    message: 'hostPort (containers "c", "b" use hostPorts 80, 8080)',
    ok: pod({ containers: [ctr('c', {}, { ports: [{ containerPort: 80, hostPort: 0 }] })] }),
  },
  {
    title: 'probe and lifecycle hosts',
    level: 'baseline',
    control: 'Host Probes / Lifecycle Hooks',
    check: 'hostProbesAndHostLifecycle',
    bad: pod({
      containers: [ctr('c', {}, { livenessProbe: { httpGet: { host: '10.0.0.1', port: 80 } } })],
      ephemeralContainers: [
        ctr('dbg', {}, { lifecycle: { preStop: { tcpSocket: { host: 'metadata.internal', port: 80 } } } }),
      ],
      initContainers: [ctr('init', {}, { startupProbe: { tcpSocket: { host: '10.0.0.1', port: 80 } } })],
    }),
    message:
      'probe or lifecycle host (containers "c", "dbg", "init" use probe or lifecycle hosts "10.0.0.1", "metadata.internal")',
    ok: pod({
      containers: [
        ctr(
          'c',
          {},
          {
            livenessProbe: { httpGet: { host: '', port: 80 } },
            readinessProbe: { tcpSocket: { port: 80 } },
            lifecycle: { postStart: { httpGet: { path: '/', port: 80 } } },
          },
        ),
      ],
    }),
  },
  {
    title: 'readiness probe host and postStart host',
    level: 'baseline',
    control: 'Host Probes / Lifecycle Hooks',
    check: 'hostProbesAndHostLifecycle',
    bad: withCtr(
      {},
      {
        readinessProbe: { tcpSocket: { host: 'a.example', port: 1 } },
        lifecycle: { postStart: { httpGet: { host: 'a.example', port: 1 } } },
      },
    ),
    message: 'probe or lifecycle host (container "c" uses probe or lifecycle host "a.example")',
    ok: withCtr({}, { readinessProbe: { grpc: { port: 1 } } }),
  },
  {
    title: 'container AppArmor Unconfined',
    level: 'baseline',
    control: 'AppArmor',
    check: 'appArmorProfile',
    bad: withCtr({ appArmorProfile: { type: 'Unconfined' } }),
    message: 'forbidden AppArmor profile (container "c" must not set AppArmor profile type to "Unconfined")',
    ok: withCtr({ appArmorProfile: { type: 'Localhost', localhostProfile: 'k8s-default' } }),
  },
  {
    title: 'pod AppArmor Unconfined and an unconfined annotation',
    level: 'baseline',
    control: 'AppArmor',
    check: 'appArmorProfile',
    bad: pod(
      { securityContext: { appArmorProfile: { type: 'Unconfined' } } },
      { 'container.apparmor.security.beta.kubernetes.io/c': 'unconfined' },
    ),
    message:
      'forbidden AppArmor profiles (pod and annotation must not set AppArmor profile type to "Unconfined", "container.apparmor.security.beta.kubernetes.io/c="unconfined"")',
    ok: pod(
      { securityContext: { appArmorProfile: { type: 'RuntimeDefault' } } },
      {
        'container.apparmor.security.beta.kubernetes.io/c': 'localhost/custom',
        'container.apparmor.security.beta.kubernetes.io/d': 'runtime/default',
        'container.apparmor.security.beta.kubernetes.io/e': '',
      },
    ),
  },
  {
    title: 'pod SELinux type',
    level: 'baseline',
    control: 'SELinux',
    check: 'seLinuxOptions',
    bad: pod({ securityContext: { seLinuxOptions: { type: 'spc_t' } } }),
    message: 'seLinuxOptions (pod set forbidden securityContext.seLinuxOptions: type "spc_t")',
    ok: pod({ securityContext: { seLinuxOptions: { type: 'container_engine_t', level: 's0:c1,c2' } } }),
  },
  {
    title: 'SELinux user, role and types on pod and containers',
    level: 'baseline',
    control: 'SELinux',
    check: 'seLinuxOptions',
    bad: pod({
      securityContext: { seLinuxOptions: { type: 'foo' } },
      containers: [ctr('c', { seLinuxOptions: { user: 'system_u', role: 'system_r', type: 'bar' } })],
    }),
    message:
      'seLinuxOptions (pod and container "c" set forbidden securityContext.seLinuxOptions: types "bar", "foo"; user may not be set; role may not be set)',
    ok: withCtr({ seLinuxOptions: { user: '', role: '', type: 'container_init_t' } }),
  },
  {
    title: 'unmasked /proc',
    level: 'baseline',
    control: '/proc Mount Type',
    check: 'procMount',
    bad: withCtr({ procMount: 'Unmasked' }),
    message: 'procMount (container "c" must not set securityContext.procMount to "Unmasked")',
    atRestricted: {
      check: 'procMount_restricted',
      message: 'procMount (container "c" must not set securityContext.procMount to "Unmasked")',
    },
    ok: withCtr({ procMount: 'Default' }),
  },
  {
    title: 'seccomp Unconfined in a container',
    level: 'baseline',
    control: 'Seccomp',
    check: 'seccompProfile_baseline',
    bad: withCtr({ seccompProfile: { type: 'Unconfined' } }),
    message:
      'seccompProfile (container "c" must not set securityContext.seccompProfile.type to "Unconfined")',
    atRestricted: {
      check: 'seccompProfile_restricted',
      message:
        'seccompProfile (container "c" must not set securityContext.seccompProfile.type to "Unconfined")',
    },
    ok: withCtr({ seccompProfile: { type: 'Localhost', localhostProfile: 'profiles/audit.json' } }),
  },
  {
    title: 'seccomp Unconfined on the pod',
    level: 'baseline',
    control: 'Seccomp',
    check: 'seccompProfile_baseline',
    bad: pod({ securityContext: { seccompProfile: { type: 'Unconfined' } } }),
    message: 'seccompProfile (pod must not set securityContext.seccompProfile.type to "Unconfined")',
    atRestricted: {
      check: 'seccompProfile_restricted',
      message: 'seccompProfile (pod must not set securityContext.seccompProfile.type to "Unconfined")',
    },
    ok: pod({ securityContext: { seccompProfile: { type: 'RuntimeDefault' } } }),
  },
  {
    title: 'unsafe sysctl',
    level: 'baseline',
    control: 'Sysctls',
    check: 'sysctls',
    bad: pod({
      securityContext: {
        sysctls: [
          { name: 'kernel.msgmax', value: '1' },
          { name: 'net.ipv4.tcp_syncookies', value: '1' },
          { name: 'net.core.somaxconn', value: '1' },
        ],
      },
    }),
    message: 'forbidden sysctls (kernel.msgmax, net.core.somaxconn)',
    ok: pod({
      securityContext: {
        sysctls: [
          { name: 'net.ipv4.tcp_syncookies', value: '1' },
          { name: 'net.ipv4.tcp_rmem', value: '4096 87380 6291456' },
          { name: 'net.ipv4.tcp_slow_start_after_idle', value: '0' },
          { name: 'net.ipv4.tcp_notsent_lowat', value: '16384' },
        ],
      },
    }),
  },

  // --- restricted --------------------------------------------------------------------------------
  {
    title: 'nfs volume',
    level: 'restricted',
    control: 'Volume Types',
    check: 'restrictedVolumes',
    bad: pod({ volumes: [{ name: 'data', nfs: { server: 'nfs.example', path: '/' } }] }),
    message: 'restricted volume types (volume "data" uses restricted volume type "nfs")',
    ok: pod({
      volumes: [
        { name: 'a', configMap: { name: 'cm' } },
        { name: 'b', csi: { driver: 'd' } },
        { name: 'c', downwardAPI: {} },
        { name: 'd', emptyDir: {} },
        { name: 'e', ephemeral: { volumeClaimTemplate: {} } },
        { name: 'f', image: { reference: 'registry.example/data:1' } },
        { name: 'g', persistentVolumeClaim: { claimName: 'pvc' } },
        { name: 'h', projected: { sources: [] } },
        { name: 'i', secret: { secretName: 's' } },
      ],
    }),
  },
  {
    title: 'gitRepo and an unknown volume source',
    level: 'restricted',
    control: 'Volume Types',
    check: 'restrictedVolumes',
    bad: pod({ volumes: [{ name: 'repo', gitRepo: { repository: 'x' } }, { name: 'x' }] }),
    message: 'restricted volume types (volumes "repo", "x" use restricted volume types "gitRepo", "unknown")',
    ok: pod({ volumes: [{ name: 'repo', emptyDir: {} }] }),
  },
  {
    title: 'allowPrivilegeEscalation unset',
    level: 'restricted',
    control: 'Privilege Escalation',
    check: 'allowPrivilegeEscalation',
    bad: withCtr({ allowPrivilegeEscalation: undefined }),
    message:
      'allowPrivilegeEscalation != false (container "c" must set securityContext.allowPrivilegeEscalation=false)',
    ok: withCtr({ allowPrivilegeEscalation: false }),
  },
  {
    title: 'allowPrivilegeEscalation true in an init and an ephemeral container',
    level: 'restricted',
    control: 'Privilege Escalation',
    check: 'allowPrivilegeEscalation',
    bad: pod({
      initContainers: [ctr('init', { allowPrivilegeEscalation: true })],
      ephemeralContainers: [ctr('dbg', { allowPrivilegeEscalation: true })],
    }),
    message:
      'allowPrivilegeEscalation != false (containers "init", "dbg" must set securityContext.allowPrivilegeEscalation=false)',
    ok: pod({ initContainers: [ctr('init')], ephemeralContainers: [ctr('dbg')] }),
  },
  {
    title: 'runAsNonRoot set nowhere',
    level: 'restricted',
    control: 'Running as Non-root',
    check: 'runAsNonRoot',
    bad: withCtr({ runAsNonRoot: undefined }),
    message: 'runAsNonRoot != true (pod or container "c" must set securityContext.runAsNonRoot=true)',
    // The pod-level default covers a container that does not override it.
    ok: pod({ securityContext: { runAsNonRoot: true }, containers: [ctr('c', { runAsNonRoot: undefined })] }),
  },
  {
    title: 'runAsNonRoot=false in a container overriding the pod',
    level: 'restricted',
    control: 'Running as Non-root',
    check: 'runAsNonRoot',
    bad: pod({ securityContext: { runAsNonRoot: true }, containers: [ctr('c', { runAsNonRoot: false })] }),
    message: 'runAsNonRoot != true (container "c" must not set securityContext.runAsNonRoot=false)',
    ok: pod({ securityContext: { runAsNonRoot: true }, containers: [ctr('c', { runAsNonRoot: true })] }),
  },
  {
    title: 'runAsNonRoot=false on the pod',
    level: 'restricted',
    control: 'Running as Non-root',
    check: 'runAsNonRoot',
    // The pod is reported even though its only container sets true itself, as the plugin does.
    bad: pod({ securityContext: { runAsNonRoot: false } }),
    message: 'runAsNonRoot != true (pod must not set securityContext.runAsNonRoot=false)',
    ok: pod({ securityContext: { runAsNonRoot: true } }),
  },
  {
    title: 'runAsUser=0 in a container',
    level: 'restricted',
    control: 'Running as Non-root user',
    check: 'runAsUser',
    bad: withCtr({ runAsUser: 0 }),
    message: 'runAsUser=0 (container "c" must not set runAsUser=0)',
    ok: withCtr({ runAsUser: 1000 }),
  },
  {
    title: 'runAsUser=0 on the pod',
    level: 'restricted',
    control: 'Running as Non-root user',
    check: 'runAsUser',
    bad: pod({ securityContext: { runAsUser: 0 }, containers: [ctr('c', { runAsUser: 1000 })] }),
    message: 'runAsUser=0 (pod must not set runAsUser=0)',
    ok: pod({ securityContext: { runAsUser: 1000 } }),
  },
  {
    title: 'seccomp set nowhere',
    level: 'restricted',
    control: 'Seccomp',
    check: 'seccompProfile_restricted',
    bad: pod({
      containers: [ctr('a', { seccompProfile: undefined }), ctr('b', { seccompProfile: undefined })],
    }),
    message:
      'seccompProfile (pod or containers "a", "b" must set securityContext.seccompProfile.type to "RuntimeDefault" or "Localhost")',
    // A valid pod-level profile covers containers that set none.
    ok: pod({
      securityContext: { seccompProfile: { type: 'RuntimeDefault' } },
      containers: [ctr('a', { seccompProfile: undefined })],
    }),
  },
  {
    title: 'capabilities not dropped',
    level: 'restricted',
    control: 'Capabilities',
    check: 'capabilities_restricted',
    bad: pod({
      containers: [ctr('a', { capabilities: undefined }), ctr('b', { capabilities: { drop: ['NET_RAW'] } })],
    }),
    message:
      'unrestricted capabilities (containers "a", "b" must set securityContext.capabilities.drop=["ALL"])',
    ok: pod({ containers: [ctr('a', { capabilities: { drop: ['NET_RAW', 'ALL'] } })] }),
  },
  {
    title: 'a default capability added back',
    level: 'restricted',
    control: 'Capabilities',
    check: 'capabilities_restricted',
    bad: withCtr({ capabilities: { add: ['CHOWN'] } }),
    message:
      'unrestricted capabilities (container "c" must set securityContext.capabilities.drop=["ALL"]; container "c" must not include "CHOWN" in securityContext.capabilities.add)',
    ok: withCtr({ capabilities: { drop: ['ALL'], add: ['NET_BIND_SERVICE'] } }),
  },
];

describe('checkPodSecurity', () => {
  it('allows the restricted-compliant base pod at every level', () => {
    for (const level of POD_SECURITY_LEVELS) expect(checkPodSecurity(pod(), level)).toEqual([]);
  });

  it('allows a minimal pod at baseline but not at restricted', () => {
    const minimal: Pod = { spec: { containers: [{ name: 'c', image: 'nginx' }] } };
    expect(checkPodSecurity(minimal, 'baseline')).toEqual([]);
    expect(ids(minimal, 'restricted')).toEqual([
      'allowPrivilegeEscalation',
      'capabilities_restricted',
      'runAsNonRoot',
      'seccompProfile_restricted',
    ]);
  });

  describe.each(rows)('$check: $title', (row) => {
    const violation = { control: row.control, check: row.check, message: row.message };

    it(`is refused at ${row.level} with that control`, () => {
      expect(checkPodSecurity(row.bad, row.level)).toEqual([violation]);
    });

    if (row.level === 'baseline') {
      it('is refused at restricted too (restricted includes baseline)', () => {
        const expected = row.atRestricted ? { control: row.control, ...row.atRestricted } : violation;
        expect(checkPodSecurity(row.bad, 'restricted')).toEqual([expected]);
      });
    } else {
      it('is allowed at baseline', () => {
        expect(checkPodSecurity(row.bad, 'baseline')).toEqual([]);
      });
    }

    it('is never refused at privileged', () => {
      expect(checkPodSecurity(row.bad, 'privileged')).toEqual([]);
    });

    it('nearest allowed variant passes baseline and restricted', () => {
      expect(checkPodSecurity(row.ok, 'baseline')).toEqual([]);
      expect(checkPodSecurity(row.ok, 'restricted')).toEqual([]);
    });
  });

  it('covers every check of the plugin', () => {
    const covered = new Set(
      rows.map((r) => r.atRestricted?.check ?? r.check).concat(rows.map((r) => r.check)),
    );
    expect([...covered].sort()).toEqual(
      [
        'allowPrivilegeEscalation',
        'appArmorProfile',
        'capabilities_baseline',
        'capabilities_restricted',
        'hostNamespaces',
        'hostPathVolumes',
        'hostPorts',
        'hostProbesAndHostLifecycle',
        'privileged',
        'procMount',
        'procMount_restricted',
        'restrictedVolumes',
        'runAsNonRoot',
        'runAsUser',
        'seLinuxOptions',
        'seccompProfile_baseline',
        'seccompProfile_restricted',
        'sysctls',
        'windowsHostProcess',
      ].sort(),
    );
  });

  it('reports in the plugin order: baseline checks by id, then restricted checks by id', () => {
    const messy: Pod = {
      spec: {
        hostNetwork: true,
        volumes: [{ name: 'v', hostPath: { path: '/' } }],
        securityContext: { sysctls: [{ name: 'kernel.msgmax' }] },
        containers: [
          {
            name: 'c',
            securityContext: { privileged: true, runAsUser: 0, appArmorProfile: { type: 'Unconfined' } },
          },
        ],
      },
    };
    expect(ids(messy, 'baseline')).toEqual([
      'appArmorProfile',
      'hostNamespaces',
      'hostPathVolumes',
      'privileged',
      'sysctls',
    ]);
    expect(ids(messy, 'restricted')).toEqual([
      'appArmorProfile',
      'hostNamespaces',
      'privileged',
      'sysctls',
      'allowPrivilegeEscalation',
      'capabilities_restricted',
      'restrictedVolumes',
      'runAsNonRoot',
      'runAsUser',
      'seccompProfile_restricted',
    ]);
  });

  it('walks init, regular and ephemeral containers in that order', () => {
    const p = pod({
      initContainers: [ctr('i', { privileged: true })],
      containers: [ctr('c', { privileged: true })],
      ephemeralContainers: [ctr('e', { privileged: true })],
    });
    expect(checkPodSecurity(p, 'baseline')[0]!.message).toBe(
      'privileged (containers "i", "c", "e" must not set securityContext.privileged=true)',
    );
  });

  it('does not let a valid pod-level seccomp profile excuse an invalid container override', () => {
    const p = pod({
      securityContext: { seccompProfile: { type: 'RuntimeDefault' } },
      containers: [ctr('c', { seccompProfile: { type: 'Unconfined' } })],
    });
    expect(ids(p, 'restricted')).toEqual(['seccompProfile_restricted']);
  });

  it('reports a seccomp profile without a type as the empty type', () => {
    expect(checkPodSecurity(withCtr({ seccompProfile: {} }), 'baseline')[0]!.message).toBe(
      'seccompProfile (container "c" must not set securityContext.seccompProfile.type to "")',
    );
  });

  describe('Windows pods (spec.os.name=windows)', () => {
    const windows = (sc: Obj = {}): TestPod =>
      pod({
        os: { name: 'windows' },
        securityContext: { runAsNonRoot: true },
        containers: [{ name: 'c', image: 'mcr.example/win:1', securityContext: sc }],
      });

    it('are exempt from privilege escalation, seccomp and capabilities at restricted', () => {
      expect(checkPodSecurity(windows(), 'restricted')).toEqual([]);
    });

    it('still need runAsNonRoot at restricted', () => {
      const p = windows();
      p.spec.securityContext = {};
      expect(ids(p, 'restricted')).toEqual(['runAsNonRoot']);
    });

    it('stay subject to the baseline seccomp and capabilities checks at restricted', () => {
      const p = windows({ seccompProfile: { type: 'Unconfined' }, capabilities: { add: ['SYS_ADMIN'] } });
      expect(ids(p, 'baseline')).toEqual(['capabilities_baseline', 'seccompProfile_baseline']);
      expect(ids(p, 'restricted')).toEqual(['capabilities_baseline', 'seccompProfile_baseline']);
    });

    it('a Linux pod is not exempt', () => {
      const p = windows();
      p.spec.os = { name: 'linux' };
      expect(ids(p, 'restricted')).toEqual([
        'allowPrivilegeEscalation',
        'capabilities_restricted',
        'seccompProfile_restricted',
      ]);
    });
  });

  describe('user namespaces (spec.hostUsers=false)', () => {
    it('relax runAsNonRoot and runAsUser at restricted', () => {
      const p = pod({ hostUsers: false, containers: [ctr('c', { runAsNonRoot: false, runAsUser: 0 })] });
      expect(checkPodSecurity(p, 'restricted')).toEqual([]);
      p.spec.hostUsers = true;
      expect(ids(p, 'restricted')).toEqual(['runAsNonRoot', 'runAsUser']);
    });

    it('relax /proc mount type at baseline but not at restricted', () => {
      const p = pod({ hostUsers: false, containers: [ctr('c', { procMount: 'Unmasked' })] });
      expect(checkPodSecurity(p, 'baseline')).toEqual([]);
      expect(checkPodSecurity(p, 'restricted')).toEqual([
        {
          control: '/proc Mount Type',
          check: 'procMount_restricted',
          message: 'procMount (container "c" must not set securityContext.procMount to "Unmasked")',
        },
      ]);
    });

    it('only when hostUsers is exactly false', () => {
      const p = pod({ hostUsers: 'false', containers: [ctr('c', { procMount: 'Unmasked' })] });
      expect(ids(p, 'baseline')).toEqual(['procMount']);
    });
  });

  describe('malformed values are read pessimistically', () => {
    it.each<[string, TestPod, PodSecurityLevel, string[]]>([
      ['a truthy non-boolean hostNetwork', pod({ hostNetwork: 'true' }), 'baseline', ['hostNamespaces']],
      [
        'a lone string in capabilities.add',
        withCtr({ capabilities: { add: 'SYS_ADMIN' } }),
        'baseline',
        ['capabilities_baseline'],
      ],
      [
        'containers given as one object',
        pod({ containers: ctr('c', { privileged: true }) }),
        'baseline',
        ['privileged'],
      ],
      [
        'a numeric hostPort given as a string',
        withCtr({}, { ports: [{ hostPort: '80' }] }),
        'baseline',
        ['hostPorts'],
      ],
      [
        'drop given as a string',
        withCtr({ capabilities: { drop: 'ALL' } }),
        'restricted',
        ['capabilities_restricted'],
      ],
      ['runAsNonRoot given as a string', withCtr({ runAsNonRoot: 'true' }), 'restricted', ['runAsNonRoot']],
      [
        'allowPrivilegeEscalation given as a string',
        withCtr({ allowPrivilegeEscalation: 'false' }),
        'restricted',
        ['allowPrivilegeEscalation'],
      ],
      ['runAsUser given as a string', withCtr({ runAsUser: '1000' }), 'restricted', ['runAsUser']],
      [
        'an allowed volume source that is not an object',
        pod({ volumes: [{ name: 'v', secret: 'x' }] }),
        'restricted',
        ['restrictedVolumes'],
      ],
      [
        'a restricted source beside an allowed one',
        pod({ volumes: [{ name: 'v', emptyDir: {}, hostPath: { path: '/' } }] }),
        'restricted',
        ['restrictedVolumes'],
      ],
      [
        'an AppArmor annotation with a non-string value',
        pod({}, { 'container.apparmor.security.beta.kubernetes.io/c': 1 as unknown as string }),
        'baseline',
        ['appArmorProfile'],
      ],
      [
        'a container that is not an object',
        pod({ containers: [42] }),
        'restricted',
        ['allowPrivilegeEscalation', 'capabilities_restricted', 'runAsNonRoot', 'seccompProfile_restricted'],
      ],
    ])('%s', (_title, p, level, expected) => {
      expect(ids(p, level)).toEqual(expected);
    });

    it('null is the same as absent', () => {
      const p = pod({ hostNetwork: null, containers: [ctr('c', { privileged: null, procMount: null })] });
      expect(checkPodSecurity(p, 'restricted')).toEqual([]);
    });
  });

  describe('never throws on arbitrary input', () => {
    const circular: Obj = { name: 'loop' };
    circular.self = circular;
    const throwing = new Proxy(
      {},
      {
        get() {
          throw new Error('boom');
        },
        has() {
          throw new Error('boom');
        },
        getOwnPropertyDescriptor() {
          throw new Error('boom');
        },
      },
    );
    it.each<[string, unknown]>([
      ['pod undefined', undefined],
      ['pod null', null],
      ['pod a string', 'pod'],
      ['spec missing', { metadata: { name: 'p' } }],
      ['spec null', { spec: null }],
      ['spec a string', { spec: 'nope' }],
      ['spec an array', { spec: [1, 2] }],
      ['containers not an array', { spec: { containers: 'c' } }],
      ['containers a number', { spec: { containers: 7 } }],
      ['securityContext a string', { spec: { containers: [{ name: 'c', securityContext: 'privileged' }] } }],
      ['pod securityContext a string', { spec: { securityContext: 'x', containers: [] } }],
      [
        'capabilities a string',
        { spec: { containers: [{ name: 'c', securityContext: { capabilities: 'ALL' } }] } },
      ],
      ['ports an object', { spec: { containers: [{ name: 'c', ports: { hostPort: 1 } }] } }],
      ['probe a string', { spec: { containers: [{ name: 'c', livenessProbe: 'x', lifecycle: 3 }] } }],
      ['volumes a string', { spec: { volumes: 'hostPath' } }],
      ['sysctls a number', { spec: { securityContext: { sysctls: 5 } } }],
      ['seLinuxOptions an array', { spec: { securityContext: { seLinuxOptions: ['spc_t'] } } }],
      ['annotations a string', { metadata: { annotations: 'x' }, spec: {} }],
      ['metadata a number', { metadata: 1, spec: {} }],
      [
        'names and values that are objects',
        { spec: { containers: [{ name: circular, securityContext: { procMount: circular } }] } },
      ],
      ['a bigint hostPort', { spec: { containers: [{ name: 'c', ports: [{ hostPort: 10n }] }] } }],
      ['a proxy that throws on every read', throwing],
      ['a spec that throws on every read', { spec: throwing }],
    ])('%s', (_title, input) => {
      for (const level of [...POD_SECURITY_LEVELS, 'bogus' as PodSecurityLevel]) {
        let result: unknown;
        expect(() => (result = checkPodSecurity(input as Pod, level))).not.toThrow();
        expect(Array.isArray(result)).toBe(true);
      }
    });

    it('refuses a pod it cannot read rather than waving it through', () => {
      expect(checkPodSecurity({ spec: throwing }, 'baseline')).toEqual([
        { control: 'Pod Security Standards', check: 'unreadable', message: 'pod could not be evaluated' },
      ]);
    });

    it('renders unprintable values instead of failing', () => {
      const p = { spec: { containers: [{ name: 'c', securityContext: { procMount: circular } }] } };
      expect(checkPodSecurity(p, 'baseline')[0]!.message).toBe(
        'procMount (container "c" must not set securityContext.procMount to "object")',
      );
    });
  });

  it('evaluates an unknown level as restricted', () => {
    expect(ids(withCtr({ runAsUser: 0 }), 'bogus' as PodSecurityLevel)).toEqual(['runAsUser']);
  });
});

describe('stricterLevel', () => {
  it.each<[PodSecurityLevel, PodSecurityLevel, PodSecurityLevel]>([
    ['privileged', 'privileged', 'privileged'],
    ['privileged', 'baseline', 'baseline'],
    ['baseline', 'privileged', 'baseline'],
    ['baseline', 'restricted', 'restricted'],
    ['restricted', 'privileged', 'restricted'],
    ['restricted', 'restricted', 'restricted'],
    ['bogus' as PodSecurityLevel, 'privileged', 'restricted'],
  ])('%s vs %s → %s', (a, b, expected) => expect(stricterLevel(a, b)).toBe(expected));
});

describe('namespaceEnforceLevel', () => {
  it.each<[string, Record<string, string> | undefined, PodSecurityLevel | undefined]>([
    ['no labels', undefined, undefined],
    ['no enforce label', { 'pod-security.kubernetes.io/warn': 'restricted' }, undefined],
    ['privileged', { 'pod-security.kubernetes.io/enforce': 'privileged' }, 'privileged'],
    ['baseline', { 'pod-security.kubernetes.io/enforce': 'baseline' }, 'baseline'],
    ['restricted', { 'pod-security.kubernetes.io/enforce': 'restricted' }, 'restricted'],
    ['wrong case', { 'pod-security.kubernetes.io/enforce': 'Baseline' }, undefined],
    ['unknown level', { 'pod-security.kubernetes.io/enforce': 'strict' }, undefined],
    ['not a string', { 'pod-security.kubernetes.io/enforce': 3 as unknown as string }, undefined],
    ['labels not an object', 'baseline' as unknown as Record<string, string>, undefined],
  ])('%s', (_title, labels, expected) => expect(namespaceEnforceLevel(labels)).toBe(expected));
});

describe('describeViolations', () => {
  it('joins the messages in the admission plugin wording', () => {
    const p = pod({ hostNetwork: true, containers: [ctr('c', { privileged: true })] });
    expect(describeViolations('baseline', checkPodSecurity(p, 'baseline'))).toBe(
      'violates PodSecurity "baseline:latest": host namespaces (hostNetwork=true), privileged (container "c" must not set securityContext.privileged=true)',
    );
  });

  it('says so when nothing is violated', () => {
    expect(describeViolations('restricted', [])).toBe('satisfies PodSecurity "restricted:latest"');
  });
});
