{{/*
The deployed etcd (deployedEtcd.enabled): names, labels and the URLs its clients dial. Its objects are
templates/deployed-etcd.yaml; the control plane's side is in templates/statefulset.yaml and
templates/_vanilla.tpl.
*/}}
{{- define "vsyncer.etcdName" -}}
{{- printf "%s-etcd" (include "vsyncer.name" .) -}}
{{- end -}}

{{/*
The members' labels. Not the control plane's (app.kubernetes.io/name: vsyncer), which its Service,
PodDisruptionBudget and NetworkPolicies select; `release` as on the control plane, which a tenant's
host pod cannot carry (the syncer stores it hashed), so a policy may trust it.
*/}}
{{- define "vsyncer.etcdSelectorLabels" -}}
app.kubernetes.io/name: vsyncer-etcd
app.kubernetes.io/instance: {{ .Release.Name }}
release: {{ .Release.Name }}
{{- end -}}

{{- define "vsyncer.etcdLabels" -}}
{{ include "vsyncer.etcdSelectorLabels" . }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
helm.sh/chart: {{ .Chart.Name }}-{{ .Chart.Version }}
{{- /* vCluster's label on its deployed etcd, which its tools look for. */}}
app: vcluster-etcd
{{- end -}}

{{/* Member i's DNS name, through the headless Service (found through the pod's search path). */}}
{{- define "vsyncer.etcdMemberHost" -}}
{{- printf "%s-%d.%s-headless.%s.svc" (include "vsyncer.etcdName" .root) (int .index) (include "vsyncer.etcdName" .root) .root.Release.Namespace -}}
{{- end -}}

{{/*
Every member's client URL, comma-separated: the control plane's clients balance over them and move on
when one is down, with no Service (and no kube-proxy) between.
*/}}
{{- define "vsyncer.etcdClientUrls" -}}
{{- $urls := list -}}
{{- range $i := until (int .Values.deployedEtcd.replicas) -}}
{{- $urls = append $urls (printf "https://%s:2379" (include "vsyncer.etcdMemberHost" (dict "root" $ "index" $i))) -}}
{{- end -}}
{{- join "," $urls -}}
{{- end -}}

{{/* The initial cluster: every member's name and peer URL. */}}
{{- define "vsyncer.etcdInitialCluster" -}}
{{- $members := list -}}
{{- range $i := until (int .Values.deployedEtcd.replicas) -}}
{{- $members = append $members (printf "%s-%d=https://%s:2380" (include "vsyncer.etcdName" $) $i (include "vsyncer.etcdMemberHost" (dict "root" $ "index" $i))) -}}
{{- end -}}
{{- join "," $members -}}
{{- end -}}

{{/*
Checks of deployedEtcd and what it goes with, at render. A member count that changes on a running
release is refused: members join through --initial-cluster only when the cluster is made, so a new
member would start a cluster of its own (and a removed one stay in the quorum's count).
*/}}
{{- define "vsyncer.checkDeployedEtcd" -}}
{{- $e := .Values.deployedEtcd -}}
{{- if $e.enabled -}}
{{- $replicas := int $e.replicas -}}
{{- if not (has $replicas (list 1 3 5)) -}}
{{- fail (printf "deployedEtcd.replicas must be 1, 3 or 5 (an odd number of members: an even one survives no more losses than one fewer), not %v" $e.replicas) -}}
{{- end -}}
{{- /* The StatefulSet's pods carry a label of its name and a 10-character hash; the headless Service's name is a DNS label. */ -}}
{{- if gt (len (include "vsyncer.name" .)) 47 -}}
{{- fail (printf "deployedEtcd.enabled: the release name %s is %d characters; its etcd's names (<name>-etcd-headless, and the pods' revision label <name>-etcd-<hash>) need 47 at most" (include "vsyncer.name" .) (len (include "vsyncer.name" .))) -}}
{{- end -}}
{{- if and (gt $replicas 1) (not $e.persistence.enabled) -}}
{{- fail "deployedEtcd.persistence.enabled: false with more than one member: a member whose pod is made anew (a drain, an evicted or rescheduled pod) starts with no data and cannot join its cluster again (etcd knows it as bootstrapped already); give the members claims, or run one member" -}}
{{- end -}}
{{- if or .Values.k3s.datastore.secretName .Values.k3s.datastore.endpoint -}}
{{- fail "deployedEtcd.enabled and k3s.datastore (secretName or endpoint) name two data stores: choose one" -}}
{{- end -}}
{{- with (lookup "apps/v1" "StatefulSet" .Release.Namespace (include "vsyncer.etcdName" .)) -}}
{{- if ne (int .spec.replicas) $replicas -}}
{{- fail (printf "deployedEtcd.replicas: the release's etcd has %d members and this upgrade asks for %d; the member count is set at install (keep %d; to change it, move the data into a new release, e.g. an etcd snapshot restored)" (int .spec.replicas) $replicas (int .spec.replicas)) -}}
{{- end -}}
{{- /* Said here, before the API server refuses the whole upgrade: a StatefulSet's claim templates cannot change. */ -}}
{{- $hadClaims := not (empty .spec.volumeClaimTemplates) -}}
{{- if ne $hadClaims (not (not $e.persistence.enabled)) -}}
{{- fail (printf "deployedEtcd.persistence.enabled: the release's etcd runs %s, and Kubernetes does not let an upgrade change a StatefulSet's claims (keep %v)" (ternary "on claims" "without claims" $hadClaims) $hadClaims) -}}
{{- end -}}
{{- end -}}
{{- end -}}
{{- end -}}
