/**
 * Kubernetes model types, used structurally over plain JSON. client-node declares timestamps as
 * Date, but our objects come straight from the wire, so they hold RFC 3339 strings: never call
 * Date methods on them; parse with Date.parse where a time is needed.
 */
export type {
  V1Affinity as Affinity,
  V1Container as Container,
  V1ContainerStatus as ContainerStatus,
  V1EnvVar as EnvVar,
  V1EnvFromSource as EnvFromSource,
  V1EphemeralContainer as EphemeralContainer,
  V1LabelSelector as LabelSelector,
  V1Pod as Pod,
  V1PodAffinityTerm as PodAffinityTerm,
  V1PodDNSConfig as PodDnsConfig,
  V1PodSpec as PodSpec,
  V1PodStatus as PodStatus,
  V1Toleration as Toleration,
  V1TopologySpreadConstraint as TopologySpreadConstraint,
  V1Volume as Volume,
  V1VolumeProjection as VolumeProjection,
} from '@kubernetes/client-node';
