{{/*
Name of everything the chart creates, and of the virtual cluster (--name). Services and the syncer
take only an RFC 1035 label, which Helm does not require of a release name (`team.a`, `1team`).
*/}}
{{- define "vsyncer.name" -}}
{{- $name := .Release.Name | trunc 52 | trimSuffix "-" -}}
{{- if not (regexMatch "^[a-z]([-a-z0-9]*[a-z0-9])?$" $name) -}}
{{- fail (printf "release name %q: the chart names the virtual cluster and its objects (Services among them) after the release, so it must be an RFC 1035 label: lower-case letters, digits and '-', starting with a letter and ending with a letter or digit" .Release.Name) -}}
{{- end -}}
{{- $name -}}
{{- end -}}

{{- define "vsyncer.labels" -}}
app.kubernetes.io/name: vsyncer
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
helm.sh/chart: {{ .Chart.Name }}-{{ .Chart.Version }}
release: {{ .Release.Name }}
{{- end -}}

{{/*
vCluster's CLI finds a virtual cluster's StatefulSet, pod and Service by `app=vcluster,release=<name>`:
on those three (not in the StatefulSet's selector, which cannot change on a running release).
*/}}
{{- define "vsyncer.vclusterAppLabel" -}}
app: vcluster
{{- end -}}

{{/*
Virtual clusters sharing the host namespace (their StatefulSets, `app=vcluster`, vCluster's and this
chart's) whose names end one in `-x-` and the other (`b` and `x-b`, `b` and `team-x-b`): every host name
`<name>-x-<namespace>-x-<vc>` of the longer is also one the shorter's tenants can make (namespace
`kube-system-x`, name `kube-dns`), and whoever comes first holds it: one tenant could keep the other's
DNS, or any object it will need, off the host. Refused at install (Helm's lookup; `helm template`
sees no neighbours).
*/}}
{{- define "vsyncer.checkNeighbours" -}}
{{- $ours := include "vsyncer.name" . -}}
{{- range (lookup "apps/v1" "StatefulSet" .Release.Namespace "").items | default list -}}
{{- $labels := .metadata.labels | default dict -}}
{{- $other := index $labels "release" | default "" -}}
{{- if and (eq (index $labels "app" | default "") "vcluster") $other (ne $other $ours) -}}
{{- if or (hasSuffix (printf "-x-%s" $ours) (printf "-x-%s" $other)) (hasSuffix (printf "-x-%s" $other) (printf "-x-%s" $ours)) -}}
{{- fail (printf "virtual cluster %q would share host namespace %s with virtual cluster %q, and the names of their host copies can collide (one name is the other's with a \"-x-\" part before it): the tenants of one could hold host names the other needs (its DNS among them). Install it in another namespace, or under another name" $ours $.Release.Namespace $other) -}}
{{- end -}}
{{- end -}}
{{- end -}}
{{- end -}}

{{/*
vCluster's values this chart does not read, each with the value that does what it did: refused unless
off (vsyncer.vc.isOff; controlPlane.standalone unless enabled), since a vcluster.yaml given as it is
would otherwise install a virtual cluster without what it asks for. Top-level keys, then keys under
controlPlane (which both charts have). The keys that have a vsyncer value (vsyncer.vclusterKeys) are
read by vsyncer.values instead, which refuses only what under them has no equivalent.
*/}}
{{- define "vsyncer.vclusterValues" -}}
top:
  plugins: "vsyncer has no plugins"
  mapServices: "vCluster v0.19's: write networking.replicateServices (its toHost for fromVirtual, its fromHost for fromHost)"
  vcluster: "vCluster v0.19's: set k3s.image, k3s.extraArgs, k3s.resources"
  fallbackHostDns: "vCluster v0.19's: write networking.advanced.fallbackHostCluster"
  coredns: "vCluster v0.19's: write controlPlane.coredns"
  storage: "vCluster v0.19's: set persistence"
  plugin: "vsyncer has no plugins"
  pro: "vsyncer has no pro features"
  platform: "vsyncer has no platform"
  sleep: "vsyncer has no sleep mode"
  snapshots: "vsyncer takes no snapshots"
  deletion: "vsyncer's uninstall is helm uninstall (docs/helm.md: Uninstalling)"
controlPlane:
  hostPathMapper: "vsyncer has no host path mapper"
  endpoint: "set exportKubeconfig.server"
  standalone: "vsyncer runs only in a host cluster"
{{- end -}}

{{/* The vCluster values set that this chart does not read (vsyncer.vclusterValues), as a JSON list of problems. */}}
{{- define "vsyncer.vclusterProblems" -}}
{{- $known := include "vsyncer.vclusterValues" . | fromYaml -}}
{{- $problems := list -}}
{{- range $key := keys $known.top | sortAlpha -}}
{{- if and (hasKey $.Values $key) (not (include "vsyncer.vc.isOff" (get $.Values $key))) -}}
{{- $problems = append $problems (printf "%s: %s" $key (get $known.top $key)) -}}
{{- end -}}
{{- end -}}
{{- $cp := .Values.controlPlane | default dict -}}
{{- range $key := keys $known.controlPlane | sortAlpha -}}
{{- $off := include "vsyncer.vc.isOff" (get $cp $key) -}}
{{- if eq $key "standalone" -}}{{- $off = ne (toString (get (get $cp $key | default dict) "enabled")) "true" -}}{{- end -}}
{{- if and (hasKey $cp $key) (not $off) -}}
{{- $problems = append $problems (printf "controlPlane.%s: %s" $key (get $known.controlPlane $key)) -}}
{{- end -}}
{{- end -}}
{{- if kindIs "map" $cp.distro -}}
{{- $problems = append $problems (include "vsyncer.distroMapProblem" .) -}}
{{- end -}}
{{- toJson $problems -}}
{{- end -}}

{{- define "vsyncer.failVclusterProblems" -}}
{{- with . -}}
{{- fail (printf "values of vCluster's chart that vsyncer's cannot take (docs/helm.md: vCluster values this chart reads): %s" (join "; " .)) -}}
{{- end -}}
{{- end -}}

{{/*
Maps vCluster's values that have an exact vsyncer value (vsyncer.values) and fails naming every
vCluster value set that this chart does not read. statefulset.yaml calls it first.
*/}}
{{- define "vsyncer.refuseVclusterValues" -}}
{{- include "vsyncer.values" . -}}
{{- include "vsyncer.failVclusterProblems" (include "vsyncer.vclusterProblems" . | fromJsonArray) -}}
{{- end -}}

{{/*
The effective values: vCluster's keys that have an exact vsyncer value (docs/helm.md: vCluster values
this chart reads) merged into .Values, in place. In place, because the templates read .Values in a
hundred places (the flags, the RBAC derived from the kinds, the isolation objects, the pod): merging
once keeps them all reading the same values. Each template that reads a mapped value, and each helper
that does, includes this first; once merged the vCluster keys are removed, so later calls do nothing
(Helm renders from a copy of the values: what it stores of the release keeps them as given).
A vCluster key and the vsyncer value it sets, both set to different things, fail naming both (a
vsyncer value still at its default, listed with each mapping below, is not "set"). Under a mapped
section, a key with no equivalent fails, unless it is one of vCluster's features vsyncer lacks and is
off (false, empty); so does a value vsyncer cannot do.
*/}}
{{- define "vsyncer.values" -}}
{{- $v := .Values -}}
{{- $cp := $v.controlPlane | default dict -}}
{{- $keys := include "vsyncer.vclusterKeys" . | fromYaml -}}
{{- $found := false -}}
{{- range $keys.top -}}{{- if hasKey $v . -}}{{- $found = true -}}{{- end -}}{{- end -}}
{{- if kindIs "map" $cp -}}
{{- range $keys.controlPlane -}}{{- if hasKey $cp . -}}{{- $found = true -}}{{- end -}}{{- end -}}
{{- if kindIs "map" $cp.distro -}}{{- $found = true -}}{{- end -}}
{{- if and (kindIs "map" $cp.service) (or (hasKey $cp.service "enabled") (hasKey $cp.service "kubeletNodePort")) -}}{{- $found = true -}}{{- end -}}
{{- end -}}
{{- if $found -}}
{{- $s := dict "root" . "problems" list "kinds" dict "original" (deepCopy $v) -}}
{{- /* The distro first: the pod's resources and the DNS go to its values. */ -}}
{{- if kindIs "map" $cp.distro -}}{{- include "vsyncer.vc.distro" $s -}}{{- end -}}
{{- include "vsyncer.vc.sync" $s -}}
{{- /* After sync.fromHost.gatewayClasses: vCluster's gatewayApi umbrella, and its Gateway import, show the classes whatever that says. */ -}}
{{- if $s.gatewayApiShowsClasses -}}
{{- $_ := set $s.kinds "host-gatewayclasses" (dict "on" true "from" "sync.toHost.gatewayApi.enabled or sync.fromHost.gateways.enabled") -}}
{{- end -}}
{{- include "vsyncer.vc.networking" $s -}}
{{- include "vsyncer.vc.policies" $s -}}
{{- include "vsyncer.vc.exportKubeConfig" $s -}}
{{- include "vsyncer.vc.advanced" $s -}}
{{- if hasKey $cp "statefulSet" -}}{{- include "vsyncer.vc.statefulSet" $s -}}{{- end -}}
{{- include "vsyncer.vc.env" $s -}}
{{- if hasKey $cp "backingStore" -}}{{- include "vsyncer.vc.backingStore" $s -}}{{- end -}}
{{- if hasKey $cp "coredns" -}}{{- include "vsyncer.vc.coredns" $s -}}{{- end -}}
{{- include "vsyncer.vc.controlPlaneRest" $s -}}
{{- include "vsyncer.vc.topLevel" $s -}}
{{- include "vsyncer.vc.syncKinds" $s -}}
{{- if $s.problems -}}
{{- include "vsyncer.failVclusterProblems" (concat $s.problems (include "vsyncer.vclusterProblems" . | fromJsonArray)) -}}
{{- end -}}
{{- range $keys.top -}}{{- $_ := unset $v . -}}{{- end -}}
{{- range $keys.controlPlane -}}{{- $_ := unset $cp . -}}{{- end -}}
{{- end -}}
{{- end -}}

{{/*
The vCluster keys vsyncer.values reads (each sets vsyncer values); it removes them once read, so a
second call finds none. controlPlane.distro is read too when it is vCluster's map (vsyncer's is a
name), and controlPlane.service's `enabled` and `kubeletNodePort`.
*/}}
{{- define "vsyncer.vclusterKeys" -}}
top: [sync, networking, policies, exportKubeConfig, serviceCIDR, integrations, experimental, deploy, logging, rbac, telemetry, privateNodes]
controlPlane: [advanced, statefulSet, backingStore, coredns, serviceMonitor]
{{- end -}}

{{/*
Sets the vsyncer value at path `to` (dotted, under .Values) to `value`, taken from the vCluster value
`from`: refused when that value is set already (neither `value` nor its `default`). A vCluster value
that says nothing sets nothing: an empty map, list or string where vsyncer's default is empty too (a
false is a choice), or one equal to
`vcDefault`, vCluster's own default (as `value` is given; `vcDefaults`: one of several releases'), so
a whole vcluster.yaml goes with vsyncer values of one's own. Numbers compare by value (--set gives
integers, a values file floats).
Call with (dict "s" $s "from" ... "to" ... "value" ... "default" ... ["vcDefault" ...] ["vcDefaults" (list ...)]).
*/}}
{{- define "vsyncer.vc.assign" -}}
{{- $numbers := list "int" "int64" "float64" -}}
{{- $sameNumber := and (has (kindOf .value) $numbers) (has (kindOf .default) $numbers) -}}
{{- if or (and (empty .value) (empty .default) (eq (kindOf .value) (kindOf .default)) (has (kindOf .value) (list "map" "slice" "string"))) (and (hasKey . "vcDefault") (deepEqual .value .vcDefault)) (and (hasKey . "vcDefaults") (has .value .vcDefaults)) -}}
{{- /* Nothing asked. */ -}}
{{- else -}}
{{- $parts := splitList "." .to -}}
{{- $at := .s.root.Values -}}
{{- range initial $parts -}}
{{- if not (kindIs "map" (get $at .)) -}}{{- $_ := set $at . dict -}}{{- end -}}
{{- $at = get $at . -}}
{{- end -}}
{{- /* A key the values do not hold (syncer.config's keys have no defaults) is at its default. */ -}}
{{- $now := ternary (get $at (last $parts)) .default (hasKey $at (last $parts)) -}}
{{- $nowNumber := and $sameNumber (has (kindOf $now) $numbers) -}}
{{- if and (ne (kindOf .value) (kindOf .default)) (not $sameNumber) -}}
{{- include "vsyncer.vc.problem" (dict "s" .s "text" (printf "%s must be a %s (it sets %s), not the %s %s" .from (kindOf .default | replace "slice" "list") .to (kindOf .value | replace "slice" "list") (toJson .value))) -}}
{{- else if or (deepEqual $now .value) (deepEqual $now .default) (and $nowNumber (or (eq (float64 $now) (float64 .value)) (eq (float64 $now) (float64 .default)))) -}}
{{- $_ := set $at (last $parts) .value -}}
{{- else -}}
{{- include "vsyncer.vc.problem" (dict "s" .s "text" (printf "%s (%s) and %s (%s) are both set, to different things: set one" .from (toJson .value) .to (toJson $now))) -}}
{{- end -}}
{{- end -}}
{{- end -}}

{{- define "vsyncer.vc.problem" -}}
{{- $_ := set .s "problems" (append .s.problems .text) -}}
{{- end -}}

{{/*
Whether a value is off: false, "", null, an empty list, a map whose `enabled` is false (vCluster's
settings of a feature turned off), or a map of off values (a feature left at vCluster's default off).
*/}}
{{- define "vsyncer.vc.isOff" -}}
{{- if and (kindIs "map" .) (hasKey . "enabled") (eq (toString .enabled) "false") -}}true
{{- else if kindIs "map" . -}}
{{- $on := false -}}
{{- range $_, $x := . -}}{{- if not (include "vsyncer.vc.isOff" $x) -}}{{- $on = true -}}{{- end -}}{{- end -}}
{{- if not $on -}}true{{- end -}}
{{- else if not . -}}true
{{- end -}}
{{- end -}}

{{/*
Checks the keys of map `m` (at path `at`): each must be in `known` (read by the caller), in `ignored`
(accepted whatever its value: what configures a part vCluster has and vsyncer has not), or in `off`
(a vCluster feature vsyncer lacks, accepted only while off); any other key, or an `off` one that is
on, is a problem. Call with (dict "s" $s "at" ... "m" ... "known" (list ...) ["off" (list ...)] ["ignored" (list ...)]).
*/}}
{{- define "vsyncer.vc.keys" -}}
{{- $c := . -}}
{{- if not (kindIs "map" $c.m) -}}
{{- include "vsyncer.vc.problem" (dict "s" $c.s "text" (printf "%s must be a map, as in vCluster's values" $c.at)) -}}
{{- else -}}
{{- range $key := keys $c.m | sortAlpha -}}
{{- if has $key ($c.off | default list) -}}
{{- if not (include "vsyncer.vc.isOff" (get $c.m $key)) -}}
{{- include "vsyncer.vc.problem" (dict "s" $c.s "text" (printf "%s.%s: vsyncer has no equivalent (only an off value, false or empty, is accepted)" $c.at $key)) -}}
{{- end -}}
{{- else if not (or (has $key $c.known) (has $key ($c.ignored | default list))) -}}
{{- include "vsyncer.vc.problem" (dict "s" $c.s "text" (printf "%s.%s: vsyncer has no equivalent of this key" $c.at $key)) -}}
{{- end -}}
{{- end -}}
{{- end -}}
{{- end -}}

{{/*
`enabled` of a vCluster kind section as a vsyncer kind on (true) or off (false), recorded in
$s.kinds for vsyncer.vc.syncKinds; "auto" (`auto` true) leaves vsyncer's default, which follows
vCluster's auto (docs/helm.md: Kinds and the host permissions each needs).
Call with (dict "s" $s "at" ... "m" section "kind" ... "auto" bool).
*/}}
{{- define "vsyncer.vc.kindEnabled" -}}
{{- if hasKey .m "enabled" -}}
{{- $e := .m.enabled -}}
{{- if kindIs "bool" $e -}}
{{- $_ := set .s.kinds .kind (dict "on" $e "from" (printf "%s.enabled" .at)) -}}
{{- else if not (and .auto (eq (toString $e) "auto")) -}}
{{- include "vsyncer.vc.problem" (dict "s" .s "text" (printf "%s.enabled must be true or false%s" .at (ternary " (or auto)" "" (.auto | default false)))) -}}
{{- end -}}
{{- end -}}
{{- end -}}

{{/*
The kinds vCluster's sync sections turn on and off, added to syncer.sync (after its own entries: the
last mention of a kind decides). A kind syncer.sync turns the other way (or `*` on, where vCluster's
is off) is a conflict.
*/}}
{{- define "vsyncer.vc.syncKinds" -}}
{{- $s := . -}}
{{- if $s.kinds -}}
{{- $v := $s.root.Values -}}
{{- $own := include "vsyncer.parseSync" $s.root | fromJsonArray -}}
{{- $entries := $v.syncer.sync | default list -}}
{{- range $kind := keys $s.kinds | sortAlpha -}}
{{- $k := get $s.kinds $kind -}}
{{- $other := ternary (printf "-%s" $kind) $kind $k.on -}}
{{- /* Kinds `*` leaves off (as the syncer's notByStar): one another kind excludes, host-gateways without its config. */ -}}
{{- $notByStar := list "host-priorityclasses" "host-storageclasses" -}}
{{- if not ((($v.syncer.config | default dict).hostGateways)) -}}{{- $notByStar = append $notByStar "host-gateways" -}}{{- end -}}
{{- if or (has $other $own) (and (not $k.on) (has "*" $own) (not (has $kind $notByStar)) (not (has $kind $own)) (not (has (printf "-%s" $kind) $own))) -}}
{{- include "vsyncer.vc.problem" (dict "s" $s "text" (printf "%s (%v) and syncer.sync (%s) are both set, to different things: set one" $k.from $k.on (toJson ($v.syncer.sync | default list)))) -}}
{{- end -}}
{{- $entries = append $entries (ternary $kind (printf "-%s" $kind) $k.on) -}}
{{- end -}}
{{- $_ := set $v.syncer "sync" $entries -}}
{{- end -}}
{{- end -}}

{{/*
vCluster's sync.toHost.gatewayApi. Its `enabled` (the umbrella) turns on Gateways and HTTPRoutes and
shows the host's GatewayClasses (a tenant's Gateway is synced only with a class the virtual cluster
shows, so the umbrella alone would sync none without them); gateways, httpRoutes, tlsRoutes and
backendTLSPolicies each turn their kind on by themselves, and a sub-switch false does not turn off
what the umbrella turns on (vCluster ORs them). referenceGrants.enabled: "true" copies the grants (inert
on the host, where every virtual namespace is one); "auto" (vCluster's default, which copies them only
with namespace sync, which vsyncer has not) and "false" keep them in the virtual cluster. Either way the
syncer enforces the virtual grants itself, and copies the ReferenceGrant CRD into a virtual cluster
that lacks it while any of these kinds is on.
Call with (dict "s" $s "m" section).
*/}}
{{- define "vsyncer.vc.gatewayApi" -}}
{{- $s := .s -}}
{{- $m := .m -}}
{{- $at := "sync.toHost.gatewayApi" -}}
{{- $subs := dict "gateways" "gateways" "httpRoutes" "httproutes" "tlsRoutes" "tlsroutes" "backendTLSPolicies" "backendtlspolicies" -}}
{{- include "vsyncer.vc.keys" (dict "s" $s "at" $at "m" $m "known" (concat (list "enabled" "referenceGrants") (keys $subs)) "off" (list "patches")) -}}
{{- if kindIs "map" $m -}}
{{- $umbrella := false -}}
{{- if hasKey $m "enabled" -}}
{{- if kindIs "bool" $m.enabled -}}{{- $umbrella = $m.enabled -}}
{{- else -}}{{- include "vsyncer.vc.problem" (dict "s" $s "text" (printf "%s.enabled must be true or false" $at)) -}}
{{- end -}}
{{- end -}}
{{- range $name := keys $subs | sortAlpha -}}
{{- $kind := get $subs $name -}}
{{- $sub := get $m $name -}}
{{- $subAt := printf "%s.%s" $at $name -}}
{{- $byUmbrella := and $umbrella (has $name (list "gateways" "httpRoutes")) -}}
{{- if and (hasKey $m $name) (not (kindIs "invalid" $sub)) -}}
{{- include "vsyncer.vc.keys" (dict "s" $s "at" $subAt "m" $sub "known" (list "enabled") "off" (list "patches")) -}}
{{- end -}}
{{- if $byUmbrella -}}
{{- $_ := set $s.kinds $kind (dict "on" true "from" (printf "%s.enabled" $at)) -}}
{{- else if and (kindIs "map" $sub) (hasKey $sub "enabled") -}}
{{- include "vsyncer.vc.kindEnabled" (dict "s" $s "at" $subAt "m" $sub "kind" $kind) -}}
{{- end -}}
{{- end -}}
{{- if $umbrella -}}
{{- $_ := set $s "gatewayApiShowsClasses" true -}}
{{- end -}}
{{- with $m.referenceGrants -}}
{{- $grantsAt := printf "%s.referenceGrants" $at -}}
{{- include "vsyncer.vc.keys" (dict "s" $s "at" $grantsAt "m" . "known" (list "enabled") "off" (list "patches")) -}}
{{- if and (kindIs "map" .) (hasKey . "enabled") (not (kindIs "invalid" .enabled)) -}}
{{- $mode := toString .enabled | default "auto" -}}
{{- if has $mode (list "true" "false") -}}
{{- $_ := set $s.kinds "referencegrants" (dict "on" (eq $mode "true") "from" (printf "%s.enabled" $grantsAt)) -}}
{{- else if ne $mode "auto" -}}
{{- include "vsyncer.vc.problem" (dict "s" $s "text" (printf "%s.enabled must be one of: auto, true, false (not %s)" $grantsAt (toJson .enabled))) -}}
{{- end -}}
{{- end -}}
{{- end -}}
{{- end -}}
{{- end -}}

{{/*
vCluster's sync.fromHost.gateways: with `enabled`, the host-gateways kind on and the rest of the section
(less `patches`, refused unless empty) as syncer.config.hostGateways, which the syncer reads and checks
(docs/helm.md); the host's GatewayClasses are shown too, as vCluster imports them with it. Off, nothing.
Call with (dict "s" $s "m" section).
*/}}
{{- define "vsyncer.vc.hostGateways" -}}
{{- $s := .s -}}
{{- $at := "sync.fromHost.gateways" -}}
{{- include "vsyncer.vc.keys" (dict "s" $s "at" $at "m" .m "known" (list "enabled" "mappings" "selector" "allowedRoutes" "status" "metadata" "sanitize") "off" (list "patches")) -}}
{{- if kindIs "map" .m -}}
{{- include "vsyncer.vc.kindEnabled" (dict "s" $s "at" $at "m" .m "kind" "host-gateways") -}}
{{- if eq (toString .m.enabled) "true" -}}
{{- /* What the syncer would refuse at start, named at render (it checks the rest). */ -}}
{{- $byName := (.m.mappings | default dict).byName | default dict -}}
{{- if not (kindIs "map" $byName) -}}
{{- include "vsyncer.vc.problem" (dict "s" $s "text" (printf "%s.mappings.byName must be a map of \"<host-namespace>/<name or *>\": \"<virtual-namespace>/<name or *>\"" $at)) -}}
{{- else if not $byName -}}
{{- include "vsyncer.vc.problem" (dict "s" $s "text" (printf "%s.mappings.byName is empty: name the host Gateways to show" $at)) -}}
{{- end -}}
{{- range $host, $_ := (kindIs "map" $byName | ternary $byName dict) -}}
{{- if not (regexMatch "^[a-z0-9]([-a-z0-9]*[a-z0-9])?/[^/]+$" $host) -}}
{{- include "vsyncer.vc.problem" (dict "s" $s "text" (printf "%s.mappings.byName key %q must be <host-namespace>/<name> or <host-namespace>/* (the host namespace is never implied)" $at $host)) -}}
{{- end -}}
{{- end -}}
{{- $_ := set $s "gatewayApiShowsClasses" true -}}
{{- include "vsyncer.vc.assign" (dict "s" $s "from" $at "to" "syncer.config.hostGateways" "value" (omit .m "enabled" "patches") "default" dict) -}}
{{- end -}}
{{- end -}}
{{- end -}}

{{/*
vCluster v0.19's sync layout, a section per kind right under `sync` (`sync.ingresses.enabled`), moved
in place to where v0.20 put it (sync.toHost.ingresses), which vsyncer.vc.sync then reads and checks:
its messages name that place. Its keys with no v0.20 place: nodes' (real nodes: syncAllNodes and
nodeSelector are the selector, syncNodeChanges is syncBackChanges, enableScheduler the virtual
scheduler), pods' ephemeralContainers (vsyncer syncs them either way) and status (only off),
fake-nodes' and fake-persistentvolumes' enabled (only on, vsyncer's way, unless the real ones are
synced), and generic (only empty, as its defaults). A section set both ways fails.
*/}}
{{- define "vsyncer.vc.syncV019" -}}
{{- $s := . -}}
{{- $sync := $s.root.Values.sync -}}
{{- $toHost := dict "services" "services" "endpoints" "endpoints" "persistentvolumeclaims" "persistentVolumeClaims" "configmaps" "configMaps" "secrets" "secrets" "pods" "pods" "ingresses" "ingresses" "priorityclasses" "priorityClasses" "networkpolicies" "networkPolicies" "poddisruptionbudgets" "podDisruptionBudgets" "serviceaccounts" "serviceAccounts" "storageclasses" "storageClasses" "persistentvolumes" "persistentVolumes" "volumesnapshots" "volumeSnapshots" -}}
{{- $fromHost := dict "events" "events" "ingressclasses" "ingressClasses" "hoststorageclasses" "storageClasses" "legacy-storageclasses" "storageClasses" "csidrivers" "csiDrivers" "csinodes" "csiNodes" "csistoragecapacities" "csiStorageCapacities" "nodes" "nodes" -}}
{{- range $old := keys $sync | sortAlpha -}}
{{- $section := get $sync $old -}}
{{- $direction := ternary "toHost" (ternary "fromHost" "" (hasKey $fromHost $old)) (hasKey $toHost $old) -}}
{{- if $direction -}}
{{- $new := ternary (get $toHost $old) (get $fromHost $old) (eq $direction "toHost") -}}
{{- $at := printf "sync.%s" $old -}}
{{- if not (kindIs "map" $section) -}}
{{- include "vsyncer.vc.problem" (dict "s" $s "text" (printf "%s (vCluster v0.19's layout) must be a map" $at)) -}}
{{- else -}}
{{- if not (kindIs "map" (get $sync $direction)) -}}{{- $_ := set $sync $direction dict -}}{{- end -}}
{{- $into := get $sync $direction -}}
{{- $moved := deepCopy $section -}}
{{- if eq $old "pods" -}}
{{- $_ := unset $moved "ephemeralContainers" -}}
{{- if $section.status -}}
{{- include "vsyncer.vc.problem" (dict "s" $s "text" "sync.pods.status: vsyncer has no equivalent (only an off value, false, is accepted)") -}}
{{- end -}}
{{- $_ := unset $moved "status" -}}
{{- end -}}
{{- if eq $old "nodes" -}}
{{- $moved = pick $section "enabled" "clearImageStatus" -}}
{{- if or $section.syncAllNodes $section.nodeSelector -}}
{{- $_ := set $moved "selector" (ternary (dict "all" true) dict (eq (toString $section.syncAllNodes) "true")) -}}
{{- end -}}
{{- if hasKey $section "syncNodeChanges" -}}{{- $_ := set $moved "syncBackChanges" $section.syncNodeChanges -}}{{- end -}}
{{- with $section.nodeSelector -}}
{{- include "vsyncer.vc.assign" (dict "s" $s "from" "sync.nodes.nodeSelector" "to" "syncer.nodeSelector" "value" . "default" "") -}}
{{- end -}}
{{- if $section.enableScheduler -}}
{{- include "vsyncer.vc.assign" (dict "s" $s "from" "sync.nodes.enableScheduler" "to" "syncer.virtualScheduler" "value" true "default" false) -}}
{{- end -}}
{{- range $key := keys $section | sortAlpha -}}
{{- if not (has $key (list "enabled" "clearImageStatus" "syncAllNodes" "nodeSelector" "syncNodeChanges" "enableScheduler" "fakeKubeletIPs")) -}}
{{- include "vsyncer.vc.problem" (dict "s" $s "text" (printf "sync.nodes.%s: vsyncer has no equivalent of this key" $key)) -}}
{{- end -}}
{{- end -}}
{{- end -}}
{{- if hasKey $into $new -}}
{{- include "vsyncer.vc.problem" (dict "s" $s "text" (printf "%s (vCluster v0.19's layout) and sync.%s.%s are both set: keep one" $at $direction $new)) -}}
{{- else -}}
{{- $_ := set $into $new $moved -}}
{{- end -}}
{{- end -}}
{{- $_ := unset $sync $old -}}
{{- else if has $old (list "fake-nodes" "fake-persistentvolumes") -}}
{{- /* As in v0.19, off is ignored while the real ones are synced. */ -}}
{{- $realKey := ternary "nodes" "persistentvolumes" (eq $old "fake-nodes") -}}
{{- $real := get $sync $realKey -}}
{{- $realOn := and (kindIs "map" $real) (eq (toString (get ((kindIs "map" $real) | ternary $real dict) "enabled")) "true") -}}
{{- if and (kindIs "map" $section) (hasKey $section "enabled") (not $section.enabled) (not $realOn) -}}
{{- include "vsyncer.vc.problem" (dict "s" $s "text" (printf "sync.%s.enabled: vsyncer always shows them (only true is accepted, but with sync.%s.enabled)" $old $realKey)) -}}
{{- end -}}
{{- $_ := unset $sync $old -}}
{{- else if eq $old "generic" -}}
{{- /* v0.19's generic sync, which its default values hold empty (a lone `---`). */ -}}
{{- $generic := (kindIs "map" $section) | ternary $section (dict "config" "x") -}}
{{- $config := trim (trimPrefix "---" (trim (toString ($generic.config | default "")))) -}}
{{- if or (without (keys $generic) "config") $config -}}
{{- include "vsyncer.vc.problem" (dict "s" $s "text" "sync.generic (vCluster v0.19's generic sync): vsyncer has no equivalent; see syncer.config.customResources (docs/custom-resources.md)") -}}
{{- end -}}
{{- $_ := unset $sync $old -}}
{{- end -}}
{{- end -}}
{{- end -}}

{{/* vCluster's sync.toHost and sync.fromHost. */}}
{{- define "vsyncer.vc.sync" -}}
{{- $s := . -}}
{{- $root := $s.root -}}
{{- if kindIs "map" $root.Values.sync -}}{{- include "vsyncer.vc.syncV019" $s -}}{{- end -}}
{{- with $root.Values.sync -}}
{{- include "vsyncer.vc.keys" (dict "s" $s "at" "sync" "m" . "known" (list "toHost" "fromHost")) -}}
{{- if kindIs "map" . -}}
{{- $toHostKinds := dict "services" "services" "endpoints" "endpoints" "endpointSlices" "endpointslices" "persistentVolumeClaims" "persistentvolumeclaims" "configMaps" "configmaps" "secrets" "secrets" "pods" "pods" "ingresses" "ingresses" "priorityClasses" "priorityclasses" "networkPolicies" "networkpolicies" "podDisruptionBudgets" "poddisruptionbudgets" "serviceAccounts" "serviceaccounts" "storageClasses" "storageclasses" "persistentVolumes" "persistentvolumes" "volumeSnapshots" "volumesnapshots" "resourceClaims" "resourceclaims" "resourceClaimTemplates" "resourceclaimtemplates" -}}
{{- with .toHost -}}
{{- $th := . -}}
{{- include "vsyncer.vc.keys" (dict "s" $s "at" "sync.toHost" "m" $th "known" (concat (keys $toHostKinds) (list "customResources" "gatewayApi")) "off" (list "namespaces" "volumeSnapshotContents")) -}}
{{- if kindIs "map" $th -}}
{{- if hasKey $th "gatewayApi" -}}
{{- include "vsyncer.vc.gatewayApi" (dict "s" $s "m" ($th.gatewayApi | default dict)) -}}
{{- end -}}
{{- if hasKey $th "customResources" -}}
{{- include "vsyncer.vc.customResources" (dict "s" $s "direction" "toHost" "m" ($th.customResources | default dict)) -}}
{{- end -}}
{{- range $name, $kind := $toHostKinds -}}
{{- with get $th $name -}}
{{- $at := printf "sync.toHost.%s" $name -}}
{{- $known := list "enabled" -}}
{{- if has $name (list "configMaps" "secrets") -}}{{- $known = append $known "all" -}}{{- end -}}
{{- if eq $name "pods" -}}{{- $known = concat $known (list "translateImage" "enforceTolerations" "runtimeClassName" "priorityClassName" "rewriteHosts" "useSecretsForSATokens" "dns") -}}{{- end -}}
{{- include "vsyncer.vc.keys" (dict "s" $s "at" $at "m" . "known" $known "off" (list "hybridScheduling" "patches")) -}}
{{- if kindIs "map" . -}}
{{- include "vsyncer.vc.kindEnabled" (dict "s" $s "at" $at "m" . "kind" $kind) -}}
{{- if hasKey . "all" -}}
{{- include "vsyncer.vc.assign" (dict "s" $s "from" (printf "%s.all" $at) "to" (printf "syncer.syncAll%s" (ternary "ConfigMaps" "Secrets" (eq $name "configMaps"))) "value" .all "default" false) -}}
{{- end -}}
{{- if eq $name "pods" -}}{{- include "vsyncer.vc.pods" (dict "s" $s "m" .) -}}{{- end -}}
{{- end -}}
{{- end -}}
{{- end -}}
{{- end -}}
{{- end -}}
{{- with .fromHost -}}
{{- $fh := . -}}
{{- $fromHostKinds := dict "events" "events" "csiDrivers" "host-csidrivers" "csiNodes" "host-csinodes" "csiStorageCapacities" "host-csistoragecapacities" "storageClasses" "host-storageclasses" "ingressClasses" "host-ingressclasses" "gatewayClasses" "host-gatewayclasses" "runtimeClasses" "host-runtimeclasses" "priorityClasses" "host-priorityclasses" "volumeSnapshotClasses" "host-volumesnapshotclasses" "deviceClasses" "host-deviceclasses" -}}
{{- $selectors := list "storageClasses" "ingressClasses" "gatewayClasses" "runtimeClasses" "priorityClasses" "deviceClasses" -}}
{{- include "vsyncer.vc.keys" (dict "s" $s "at" "sync.fromHost" "m" $fh "known" (concat (keys $fromHostKinds) (list "nodes" "configMaps" "secrets" "customResources" "gateways"))) -}}
{{- if kindIs "map" $fh -}}
{{- if hasKey $fh "customResources" -}}
{{- include "vsyncer.vc.customResources" (dict "s" $s "direction" "fromHost" "m" ($fh.customResources | default dict)) -}}
{{- end -}}
{{- range $name, $kind := $fromHostKinds -}}
{{- with get $fh $name -}}
{{- $at := printf "sync.fromHost.%s" $name -}}
{{- include "vsyncer.vc.keys" (dict "s" $s "at" $at "m" . "known" (ternary (list "enabled" "selector") (list "enabled") (has $name $selectors))) -}}
{{- if kindIs "map" . -}}
{{- include "vsyncer.vc.kindEnabled" (dict "s" $s "at" $at "m" . "kind" $kind "auto" true) -}}
{{- if hasKey . "selector" -}}
{{- include "vsyncer.vc.assign" (dict "s" $s "from" (printf "%s.selector" $at) "to" (printf "syncer.hostClassSelectors.%s" $name) "value" .selector "default" dict) -}}
{{- end -}}
{{- end -}}
{{- end -}}
{{- end -}}
{{- with $fh.nodes -}}{{- include "vsyncer.vc.nodes" (dict "s" $s "m" .) -}}{{- end -}}
{{- with $fh.gateways -}}{{- include "vsyncer.vc.hostGateways" (dict "s" $s "m" .) -}}{{- end -}}
{{- range $name, $value := dict "configMaps" "syncer.mapHostConfigMaps" "secrets" "syncer.mapHostSecrets" -}}
{{- with get $fh $name -}}
{{- $at := printf "sync.fromHost.%s" $name -}}
{{- include "vsyncer.vc.keys" (dict "s" $s "at" $at "m" . "known" (list "enabled" "mappings")) -}}
{{- if kindIs "map" . -}}
{{- $mappings := .mappings | default dict -}}
{{- include "vsyncer.vc.keys" (dict "s" $s "at" (printf "%s.mappings" $at) "m" $mappings "known" (list "byName")) -}}
{{- $byName := $mappings.byName | default dict -}}
{{- /* The mapped-host-* kinds always run and act only on their mappings: enabled is whether there are any. */ -}}
{{- if .enabled -}}
{{- include "vsyncer.vc.assign" (dict "s" $s "from" (printf "%s.mappings.byName" $at) "to" $value "value" $byName "default" dict) -}}
{{- else if $byName -}}
{{- include "vsyncer.vc.problem" (dict "s" $s "text" (printf "%s.mappings.byName is set but %s.enabled is not true: set both (the mappings are %s)" $at $at $value)) -}}
{{- end -}}
{{- end -}}
{{- end -}}
{{- end -}}
{{- end -}}
{{- end -}}
{{- end -}}
{{- end -}}
{{- end -}}

{{/*
vCluster's sync.<direction>.customResources (a map of <plural>.<group>[/<version>] to {enabled, scope,
patches[, mappings]}) as the entries of syncer.config.customResources.<direction>, vsyncer's list form
(docs/custom-resources.md: vCluster's form), in the order of their names: each enabled one becomes
{resource: <its name>} (no version: the syncer syncs the version the CRD stores), with its scope; a
toHost reference patch naming a v1 Secret, ConfigMap or Service becomes a reference (`[*]` is `[]`);
fromHost mappings.byName of whole namespaces ("<host-ns>/*": "<virtual-ns>/*") become namespaces.
Other patches and mappings have no equivalent and fail, naming what vsyncer offers.
Call with (dict "s" $s "direction" "toHost"|"fromHost" "m" map).
*/}}
{{- define "vsyncer.vc.customResources" -}}
{{- $s := .s -}}
{{- $dir := .direction -}}
{{- $base := printf "sync.%s.customResources" $dir -}}
{{- $instead := "vsyncer does not run vCluster's patches: its own form, syncer.config.customResources.toHost (docs/custom-resources.md), offers references (kind Secret, ConfigMap, Service or another toHost entry's <plural>.<group>) rewritten to the host copy's name, LabelSelector and Labels references scoped to the tenant, and allowedValues limiting a field" -}}
{{- $ns := "[a-z0-9]([-a-z0-9]*[a-z0-9])?" -}}
{{- if not (kindIs "map" .m) -}}
{{- include "vsyncer.vc.problem" (dict "s" $s "text" (printf "%s must be a map of <plural>.<group> to {enabled, ...}, as in vCluster's values" $base)) -}}
{{- else -}}
{{- $entries := list -}}
{{- range $key := keys .m | sortAlpha -}}
{{- $e := get $.m $key -}}
{{- $at := printf "%s[%s]" $base (toJson $key) -}}
{{- include "vsyncer.vc.keys" (dict "s" $s "at" $at "m" $e "known" (ternary (list "enabled" "scope" "patches") (list "enabled" "scope" "patches" "mappings") (eq $dir "toHost"))) -}}
{{- if kindIs "map" $e -}}
{{- if not (kindIs "bool" ($e.enabled | default false)) -}}
{{- include "vsyncer.vc.problem" (dict "s" $s "text" (printf "%s.enabled must be true or false" $at)) -}}
{{- else if and $e.enabled (not (regexMatch (printf "^%s\\.%s(\\.%s)+(/v[1-9][0-9]*((alpha|beta)[1-9][0-9]*)?)?$" $ns $ns $ns) $key)) -}}
{{- include "vsyncer.vc.problem" (dict "s" $s "text" (printf "%s: the key must be <plural>.<group> (the CRD's name; the version it stores is synced) or <plural>.<group>/<version>, e.g. certificates.cert-manager.io" $at)) -}}
{{- else if $e.enabled -}}
{{- $entry := dict "resource" $key -}}
{{- with $e.scope -}}
{{- if not (has . (list "Namespaced" "Cluster")) -}}
{{- include "vsyncer.vc.problem" (dict "s" $s "text" (printf "%s.scope must be Namespaced or Cluster, not %s" $at (toJson .))) -}}
{{- else if and (eq $dir "toHost") (eq . "Cluster") -}}
{{- include "vsyncer.vc.problem" (dict "s" $s "text" (printf "%s.scope: only namespaced resources are synced to the host (a tenant's cluster-scoped object there would act on every namespace); show the host's own with sync.fromHost.customResources" $at)) -}}
{{- else -}}
{{- $_ := set $entry "scope" . -}}
{{- end -}}
{{- end -}}
{{- $refs := list -}}
{{- $refused := false -}}
{{- range $i, $p := $e.patches | default list -}}
{{- $pat := printf "%s.patches[%d]" $at $i -}}
{{- $why := "" -}}
{{- if eq $dir "fromHost" -}}
{{- $why = "fromHost shows the host objects as they are, and takes no patches" -}}
{{- else if not (kindIs "map" $p) -}}
{{- $why = "a patch is a map {path, ...}" -}}
{{- else if or (hasKey $p "expression") (hasKey $p "reverseExpression") -}}
{{- $why = "an expression patch (JavaScript) has no equivalent" -}}
{{- else if hasKey $p "labels" -}}
{{- $why = "a labels patch has no exact equivalent (a LabelSelector or Labels reference scopes a selector to the tenant instead)" -}}
{{- else if not (kindIs "map" $p.reference) -}}
{{- $why = "only a reference patch naming a v1 Secret, ConfigMap or Service maps" -}}
{{- else -}}
{{- $r := $p.reference -}}
{{- $dynamic := without (keys $r | sortAlpha) "apiVersion" "kind" "namePath" -}}
{{- $path := regexReplaceAll "\\[\\*\\]" (join "." (compact (list (toString ($p.path | default "")) (toString ($r.namePath | default ""))))) "[]" -}}
{{- if $dynamic -}}
{{- $why = printf "a reference patch with %s has no equivalent: vsyncer's references name an object of one kind, in the object's own namespace" (join ", " $dynamic) -}}
{{- else if or (ne (toString $r.apiVersion) "v1") (not (has (toString $r.kind) (list "Secret" "ConfigMap" "Service"))) -}}
{{- $why = printf "a reference patch to apiVersion %s, kind %s does not map: only apiVersion v1 with kind Secret, ConfigMap or Service does" (toJson $r.apiVersion) (toJson $r.kind) -}}
{{- else if not (regexMatch "^[A-Za-z_][A-Za-z0-9_-]*(\\[\\])?(\\.[A-Za-z_][A-Za-z0-9_-]*(\\[\\])?)*$" $path) -}}
{{- $why = printf "the reference patch's path %s is not one vsyncer takes (field names joined by '.', [*] after a list; no indexes or quoted keys)" (toJson $p.path) -}}
{{- else -}}
{{- $refs = append $refs (dict "path" $path "kind" $r.kind) -}}
{{- end -}}
{{- end -}}
{{- if $why -}}
{{- include "vsyncer.vc.problem" (dict "s" $s "text" (printf "%s: %s" $pat $why)) -}}
{{- $refused = true -}}
{{- end -}}
{{- end -}}
{{- if $refused -}}
{{- include "vsyncer.vc.problem" (dict "s" $s "text" (printf "%s.patches: %s" $at $instead)) -}}
{{- end -}}
{{- with $refs -}}{{- $_ := set $entry "references" . -}}{{- end -}}
{{- if eq $dir "fromHost" -}}
{{- $namespaces := dict -}}
{{- $m := $e.mappings | default dict -}}
{{- include "vsyncer.vc.keys" (dict "s" $s "at" (printf "%s.mappings" $at) "m" $m "known" (list "byName")) -}}
{{- if kindIs "map" $m -}}
{{- range $hostRef, $virtualRef := $m.byName | default dict -}}
{{- $mat := printf "%s.mappings.byName[%s]" $at (toJson $hostRef) -}}
{{- if or (eq $hostRef "") (hasPrefix "/" $hostRef) -}}
{{- include "vsyncer.vc.problem" (dict "s" $s "text" (printf "%s names the virtual cluster's own host namespace, which vsyncer never shows: every virtual cluster sharing it keeps its copies there (map only namespaces the host's own controllers and admins use)" $mat)) -}}
{{- else if not (and (regexMatch (printf "^%s/\\*$" $ns) $hostRef) (regexMatch (printf "^%s/\\*$" $ns) (toString $virtualRef))) -}}
{{- include "vsyncer.vc.problem" (dict "s" $s "text" (printf "%s: vsyncer shows whole host namespaces, each as one virtual namespace with the objects' names unchanged (\"<host-namespace>/*\": \"<virtual-namespace>/*\"), not %s" $mat (toJson $virtualRef))) -}}
{{- else -}}
{{- $_ := set $namespaces (trimSuffix "/*" $hostRef) (trimSuffix "/*" (toString $virtualRef)) -}}
{{- end -}}
{{- end -}}
{{- end -}}
{{- if and $namespaces (eq (toString $e.scope) "Cluster") -}}
{{- include "vsyncer.vc.problem" (dict "s" $s "text" (printf "%s.mappings: host namespaces apply only to namespaced resources, not to scope Cluster" $at)) -}}
{{- else if $namespaces -}}
{{- $_ := set $entry "namespaces" $namespaces -}}
{{- else if and (eq (toString $e.scope) "Namespaced") (not (and (kindIs "map" $m) $m.byName)) -}}
{{- include "vsyncer.vc.problem" (dict "s" $s "text" (printf "%s.mappings.byName: a namespaced resource from the host needs the host namespaces to show, each as \"<host-namespace>/*\": \"<virtual-namespace>/*\"" $at)) -}}
{{- end -}}
{{- end -}}
{{- $entries = append $entries $entry -}}
{{- end -}}
{{- end -}}
{{- end -}}
{{- with $entries -}}
{{- include "vsyncer.vc.assign" (dict "s" $s "from" $base "to" (printf "syncer.config.customResources.%s" $dir) "value" . "default" list) -}}
{{- end -}}
{{- end -}}
{{- end -}}

{{/* vCluster's sync.toHost.pods, but enabled. */}}
{{- define "vsyncer.vc.pods" -}}
{{- $s := .s -}}
{{- $m := .m -}}
{{- $at := "sync.toHost.pods" -}}
{{- range $key, $to := dict "translateImage" (list "syncer.translateImage" dict) "enforceTolerations" (list "syncer.enforceTolerations" list) "runtimeClassName" (list "syncer.enforceRuntimeClass" "") "priorityClassName" (list "syncer.enforcePriorityClass" "") -}}
{{- if hasKey $m $key -}}
{{- include "vsyncer.vc.assign" (dict "s" $s "from" (printf "%s.%s" $at $key) "to" (first $to) "value" (get $m $key) "default" (last $to)) -}}
{{- end -}}
{{- end -}}
{{- with $m.dns -}}
{{- include "vsyncer.vc.keys" (dict "s" $s "at" (printf "%s.dns" $at) "m" . "known" (list "nameservers")) -}}
{{- if and (kindIs "map" .) (hasKey . "nameservers") -}}
{{- include "vsyncer.vc.assign" (dict "s" $s "from" (printf "%s.dns.nameservers" $at) "to" "syncer.podDnsNameservers" "value" .nameservers "default" list) -}}
{{- end -}}
{{- end -}}
{{- /*
useSecretsForSATokens true keeps each pod's tokens in one host Secret of its own, named as vCluster
names it (<pod>-sa-token, translated): syncer.podTokenSecrets per-pod. false keeps the syncer's
shared token bundles: tokens are in host Secrets either way, never in pod annotations, where any
reader of the host pod would see them (docs/helm.md: Where the syncer differs).
*/ -}}
{{- if hasKey $m "useSecretsForSATokens" -}}
{{- include "vsyncer.vc.only" (dict "s" $s "at" (printf "%s.useSecretsForSATokens" $at) "value" $m.useSecretsForSATokens "allowed" (list "true" "false") "why" "a switch") -}}
{{- if eq (toString $m.useSecretsForSATokens) "true" -}}
{{- include "vsyncer.vc.assign" (dict "s" $s "from" (printf "%s.useSecretsForSATokens" $at) "to" "syncer.podTokenSecrets" "value" "per-pod" "default" "bundled") -}}
{{- end -}}
{{- end -}}
{{- with $m.rewriteHosts -}}
{{- $rh := . -}}
{{- $rat := printf "%s.rewriteHosts" $at -}}
{{- include "vsyncer.vc.keys" (dict "s" $s "at" $rat "m" $rh "known" (list "enabled" "initContainer")) -}}
{{- if kindIs "map" $rh -}}
{{- $ic := $rh.initContainer | default dict -}}
{{- include "vsyncer.vc.keys" (dict "s" $s "at" (printf "%s.initContainer" $rat) "m" $ic "known" (list "image" "resources")) -}}
{{- /* The syncer gives the init container vCluster's default resources; others have no flag. */ -}}
{{- if and (hasKey $ic "resources") (not (deepEqual (toJson $ic.resources) (toJson (dict "limits" (dict "cpu" "30m" "memory" "64Mi") "requests" (dict "cpu" "30m" "memory" "64Mi"))))) -}}
{{- include "vsyncer.vc.problem" (dict "s" $s "text" (printf "%s.initContainer.resources: the syncer gives the init container 30m CPU and 64Mi memory (requests and limits, vCluster's default); no other is accepted" $rat)) -}}
{{- end -}}
{{- /* The image is one string here; vCluster's is a string, or {registry, repository, tag}. */ -}}
{{- $image := "" -}}
{{- if kindIs "map" $ic.image -}}
{{- include "vsyncer.vc.keys" (dict "s" $s "at" (printf "%s.initContainer.image" $rat) "m" $ic.image "known" (list "registry" "repository" "tag")) -}}
{{- $image = printf "%s%s%s" (ternary (printf "%s/" ($ic.image.registry | default "")) "" (not (empty $ic.image.registry))) ($ic.image.repository | default "") (ternary (printf ":%s" (toString $ic.image.tag)) "" (not (empty $ic.image.tag))) -}}
{{- else if $ic.image -}}
{{- $image = toString $ic.image -}}
{{- end -}}
{{- if and (hasKey $rh "enabled") (not $rh.enabled) -}}
{{- include "vsyncer.vc.assign" (dict "s" $s "from" (printf "%s.enabled" $rat) "to" "syncer.hostsRewriteImage" "value" "" "default" "library/alpine:3.20") -}}
{{- else if $image -}}
{{- include "vsyncer.vc.assign" (dict "s" $s "from" (printf "%s.initContainer.image" $rat) "to" "syncer.hostsRewriteImage" "value" $image "default" "library/alpine:3.20") -}}
{{- end -}}
{{- end -}}
{{- end -}}
{{- end -}}

{{/* vCluster's sync.fromHost.nodes: real nodes (syncer.syncRealNodes) and which (syncer.nodeSelector). */}}
{{- define "vsyncer.vc.nodes" -}}
{{- $s := .s -}}
{{- $m := .m -}}
{{- $at := "sync.fromHost.nodes" -}}
{{- include "vsyncer.vc.keys" (dict "s" $s "at" $at "m" $m "known" (list "enabled" "selector" "clearImageStatus") "off" (list "syncBackChanges")) -}}
{{- if kindIs "map" $m -}}
{{- if hasKey $m "enabled" -}}
{{- include "vsyncer.vc.assign" (dict "s" $s "from" (printf "%s.enabled" $at) "to" "syncer.syncRealNodes" "value" $m.enabled "default" false) -}}
{{- end -}}
{{- /* A real node's copy never carries the host's images (docs/helm.md: nodes). */ -}}
{{- if and $m.enabled (hasKey $m "clearImageStatus") (not $m.clearImageStatus) -}}
{{- include "vsyncer.vc.problem" (dict "s" $s "text" (printf "%s.clearImageStatus: vsyncer never shows the host node's images (other tenants'); only true is accepted" $at)) -}}
{{- end -}}
{{- with $m.selector -}}
{{- include "vsyncer.vc.keys" (dict "s" $s "at" (printf "%s.selector" $at) "m" . "known" (list "all" "labels")) -}}
{{- if kindIs "map" . -}}
{{- $terms := list -}}
{{- range $k, $val := (.labels | default dict) -}}{{- $terms = append $terms (printf "%s=%v" $k $val) -}}{{- end -}}
{{- if and .all $terms -}}
{{- include "vsyncer.vc.problem" (dict "s" $s "text" (printf "%s: all and labels both set: set one" $at)) -}}
{{- else if .all -}}
{{- include "vsyncer.vc.assign" (dict "s" $s "from" (printf "%s.selector.all" $at) "to" "syncer.nodeSelector" "value" "*" "default" "") -}}
{{- else if $terms -}}
{{- include "vsyncer.vc.assign" (dict "s" $s "from" (printf "%s.selector.labels" $at) "to" "syncer.nodeSelector" "value" (join "," $terms) "default" "") -}}
{{- end -}}
{{- end -}}
{{- end -}}
{{- end -}}
{{- end -}}

{{/* vCluster's networking and top-level serviceCIDR. */}}
{{- define "vsyncer.vc.networking" -}}
{{- $s := . -}}
{{- $v := $s.root.Values -}}
{{- if hasKey $v "serviceCIDR" -}}
{{- include "vsyncer.vc.assign" (dict "s" $s "from" "serviceCIDR" "to" "k3s.serviceCIDR" "value" $v.serviceCIDR "default" "10.96.0.0/12") -}}
{{- end -}}
{{- with $v.networking -}}
{{- $n := . -}}
{{- /* podCIDR is the pods' addresses on private nodes, which vsyncer lacks: accepted, unused. */ -}}
{{- include "vsyncer.vc.keys" (dict "s" $s "at" "networking" "m" $n "known" (list "replicateServices" "advanced" "serviceCIDR") "ignored" (list "podCIDR") "off" (list "resolveDNS")) -}}
{{- if kindIs "map" $n -}}
{{- if hasKey $n "serviceCIDR" -}}
{{- include "vsyncer.vc.assign" (dict "s" $s "from" "networking.serviceCIDR" "to" "k3s.serviceCIDR" "value" $n.serviceCIDR "default" "10.96.0.0/12") -}}
{{- end -}}
{{- with $n.replicateServices -}}
{{- include "vsyncer.vc.keys" (dict "s" $s "at" "networking.replicateServices" "m" . "known" (list "toHost" "fromHost")) -}}
{{- if kindIs "map" . -}}
{{- range $dir, $to := dict "fromHost" "syncer.mapHostServices" "toHost" "syncer.mapVirtualServices" -}}
{{- $at := printf "networking.replicateServices.%s" $dir -}}
{{- $entries := list -}}
{{- range $i, $e := (get $.root.Values.networking.replicateServices $dir | default list) -}}
{{- if not (and (kindIs "map" $e) $e.from $e.to (eq (len $e) 2)) -}}
{{- include "vsyncer.vc.problem" (dict "s" $s "text" (printf "%s[%d]: each entry is {from, to}" $at $i)) -}}
{{- else -}}
{{- $target := toString $e.to -}}
{{- /* toHost's target is a Service of the release's namespace, named alone or with that namespace. */ -}}
{{- if and (eq $dir "toHost") (contains "/" $target) -}}
{{- if hasPrefix (printf "%s/" $s.root.Release.Namespace) $target -}}
{{- $target = trimPrefix (printf "%s/" $s.root.Release.Namespace) $target -}}
{{- else -}}
{{- include "vsyncer.vc.problem" (dict "s" $s "text" (printf "%s[%d].to: %q: the replica must be in the release's namespace, %s" $at $i $target $s.root.Release.Namespace)) -}}
{{- end -}}
{{- end -}}
{{- $source := toString $e.from -}}
{{- /* fromHost's source named alone is a Service of the release's namespace, as vCluster reads it. */ -}}
{{- if and (eq $dir "fromHost") (not (contains "/" $source)) -}}
{{- $source = printf "%s/%s" $s.root.Release.Namespace $source -}}
{{- end -}}
{{- $entries = append $entries (printf "%s=%s" $source $target) -}}
{{- end -}}
{{- end -}}
{{- if $entries -}}
{{- include "vsyncer.vc.assign" (dict "s" $s "from" $at "to" $to "value" $entries "default" list) -}}
{{- end -}}
{{- end -}}
{{- end -}}
{{- end -}}
{{- with $n.advanced -}}
{{- /* proxyKubelets: the virtual nodes' kubelet API is the syncer's own (syncer.kubelet), at the address it gives each node; accepted, unused. */ -}}
{{- include "vsyncer.vc.keys" (dict "s" $s "at" "networking.advanced" "m" . "known" (list "clusterDomain" "fallbackHostCluster") "ignored" (list "proxyKubelets")) -}}
{{- if kindIs "map" . -}}
{{- if hasKey . "clusterDomain" -}}
{{- include "vsyncer.vc.assign" (dict "s" $s "from" "networking.advanced.clusterDomain" "to" "k3s.clusterDomain" "value" .clusterDomain "default" "cluster.local" "vcDefault" "cluster.local") -}}
{{- end -}}
{{- if hasKey . "fallbackHostCluster" -}}
{{- include "vsyncer.vc.assign" (dict "s" $s "from" "networking.advanced.fallbackHostCluster" "to" "syncer.fallbackHostDns" "value" (ternary "auto" "" (eq (toString .fallbackHostCluster) "true")) "default" "") -}}
{{- end -}}
{{- end -}}
{{- end -}}
{{- end -}}
{{- end -}}
{{- end -}}

{{/*
vCluster's policies. Its ResourceQuota, LimitRange and NetworkPolicy `enabled` are the objects' own
switches here, isolation.resourceQuota.enabled, isolation.limitRange.enabled and
isolation.networkPolicy.enabled, each on its own. As in vCluster's chart, the quota's and the limit
range's `auto` (their default) is on when the other one is true: a switch set that way yields to the
vsyncer switch when that is set. isolation.enabled (whose Pod Security label vCluster ties to
podSecurityStandard, as here) is not set. podSecurityStandard, when not empty, is
syncer.podSecurityStandard and labels the namespaces (vCluster's pod security controller); empty
(vCluster's default: no standard) leaves vsyncer's, which still checks every pod. quota, default and
defaultRequest are merged over vCluster's own defaults (vsyncer.vc.vclusterIsolationDefaults), which
a quota or limit range turned on here gets even unnamed, unless vsyncer's values set their own.
*/}}
{{- define "vsyncer.vc.policies" -}}
{{- $s := . -}}
{{- $iso := $s.root.Values.isolation -}}
{{- with $s.root.Values.policies -}}
{{- $p := . -}}
{{- include "vsyncer.vc.keys" (dict "s" $s "at" "policies" "m" $p "known" (list "podSecurityStandard" "resourceQuota" "limitRange" "networkPolicy") "off" (list "centralAdmission")) -}}
{{- if kindIs "map" $p -}}
{{- with $p.podSecurityStandard -}}
{{- include "vsyncer.vc.only" (dict "s" $s "at" "policies.podSecurityStandard" "value" . "allowed" (list "privileged" "baseline" "restricted") "why" "a Pod Security Standard's level") -}}
{{- include "vsyncer.vc.assign" (dict "s" $s "from" "policies.podSecurityStandard" "to" "syncer.podSecurityStandard" "value" . "default" "baseline") -}}
{{- include "vsyncer.vc.assign" (dict "s" $s "from" "policies.podSecurityStandard" "to" "syncer.namespacePodSecurityLabel" "value" true "default" false) -}}
{{- end -}}
{{- $enabled := dict -}}
{{- range $name, $known := dict "resourceQuota" (list "enabled" "quota" "scopes" "scopeSelector" "labels" "annotations") "limitRange" (list "enabled" "default" "defaultRequest" "min" "max" "labels" "annotations") "networkPolicy" (list "enabled" "workload" "controlPlane" "labels" "annotations") -}}
{{- with get $p $name -}}
{{- /* networkPolicy.fallbackDns (a DNS server for a cluster without one) is accepted, unused: the policies let pods reach the virtual cluster's DNS. */ -}}
{{- include "vsyncer.vc.keys" (dict "s" $s "at" (printf "policies.%s" $name) "m" . "known" (ternary (concat $known (list "fallbackDns" "outgoingConnections" "extraWorkloadRules" "extraControlPlaneRules")) $known (eq $name "networkPolicy"))) -}}
{{- if and (kindIs "map" .) (hasKey . "enabled") -}}
{{- $auto := ne $name "networkPolicy" -}}
{{- if kindIs "bool" .enabled -}}
{{- $_ := set $enabled $name .enabled -}}
{{- else if not (and $auto (eq (toString .enabled) "auto")) -}}
{{- include "vsyncer.vc.problem" (dict "s" $s "text" (printf "policies.%s.enabled must be true or false%s" $name (ternary " (or auto)" "" $auto))) -}}
{{- end -}}
{{- end -}}
{{- end -}}
{{- end -}}
{{- /*
Turned on by the vcluster.yaml (as the switches below do, before they set vsyncer's values): then
vCluster's defaults are the quota's and limit range's. An auto one yields to vsyncer's own switch.
*/ -}}
{{- $on := dict -}}
{{- range $name, $other := dict "resourceQuota" "limitRange" "limitRange" "resourceQuota" -}}
{{- $_ := set $on $name (or (eq (toString (get $enabled $name)) "true") (and (not (hasKey $enabled $name)) (eq (toString (get $enabled $other)) "true") (kindIs "invalid" (get $iso $name).enabled))) -}}
{{- end -}}
{{- range $name, $other := dict "resourceQuota" "limitRange" "limitRange" "resourceQuota" "networkPolicy" "" -}}
{{- if hasKey $enabled $name -}}
{{- include "vsyncer.vc.switch" (dict "s" $s "object" $name "value" (get $enabled $name) "from" (printf "policies.%s.enabled" $name)) -}}
{{- else if and $other (eq (toString (get $enabled $other)) "true") -}}
{{- include "vsyncer.vc.switch" (dict "s" $s "object" $name "value" true "from" (printf "policies.%s.enabled (auto, with policies.%s.enabled)" $name $other) "soft" true) -}}
{{- end -}}
{{- end -}}
{{- $vsyncerDefaults := include "vsyncer.vc.defaultIsolation" $s | fromYaml -}}
{{- $vclusterDefaults := include "vsyncer.vc.vclusterIsolationDefaults" $s | fromYaml -}}
{{- $rq := (kindIs "map" $p.resourceQuota) | ternary $p.resourceQuota dict -}}
{{- $hardNow := $iso.resourceQuota.hard | default dict -}}
{{- /* A quota of vsyncer's own (isolation.resourceQuota.hard) stays when vcluster.yaml names none. */ -}}
{{- if or (hasKey $rq "quota") (and (get $on "resourceQuota") (deepEqual $hardNow $vsyncerDefaults.resourceQuota.hard)) -}}
{{- /* Over vCluster's defaults, as its values merge; a key set to null takes the default out. */ -}}
{{- $hard := deepCopy $vclusterDefaults.resourceQuota.hard -}}
{{- range $key, $value := (kindIs "map" $rq.quota) | ternary $rq.quota dict -}}
{{- if kindIs "invalid" $value -}}{{- $_ := unset $hard $key -}}{{- else -}}{{- $_ := set $hard $key $value -}}{{- end -}}
{{- end -}}
{{- include "vsyncer.vc.assign" (dict "s" $s "from" "policies.resourceQuota.quota" "to" "isolation.resourceQuota.hard" "value" (ternary $hard $rq.quota (or (kindIs "map" $rq.quota) (not (hasKey $rq "quota")))) "default" $vsyncerDefaults.resourceQuota.hard) -}}
{{- /* Judged as vCluster judges it (see vsyncer.dropQuotaDefaultsThatCannotHold). */ -}}
{{- $_ := set $s.root.Values.isolation.resourceQuota "quotaOfVcluster" true -}}
{{- end -}}
{{- with $p.resourceQuota -}}{{- if kindIs "map" . -}}
{{- $rq := . -}}
{{- if hasKey $rq "scopes" -}}
{{- include "vsyncer.vc.assign" (dict "s" $s "from" "policies.resourceQuota.scopes" "to" "isolation.resourceQuota.scopes" "value" ($rq.scopes | default list) "default" list) -}}
{{- end -}}
{{- /* vCluster's chart renders the selector's matchExpressions alone. */ -}}
{{- with $rq.scopeSelector -}}
{{- include "vsyncer.vc.keys" (dict "s" $s "at" "policies.resourceQuota.scopeSelector" "m" . "known" (list "matchExpressions")) -}}
{{- if kindIs "map" . -}}
{{- include "vsyncer.vc.assign" (dict "s" $s "from" "policies.resourceQuota.scopeSelector" "to" "isolation.resourceQuota.scopeSelector" "value" (ternary (dict "matchExpressions" .matchExpressions) dict (not (empty .matchExpressions))) "default" dict) -}}
{{- end -}}
{{- end -}}
{{- end -}}{{- end -}}
{{- $lr := (kindIs "map" $p.limitRange) | ternary $p.limitRange dict -}}
{{- range $key := list "default" "defaultRequest" -}}
{{- $vsyncerDefault := get $vsyncerDefaults.limitRange $key -}}
{{- if or (hasKey $lr $key) (and (get $on "limitRange") (deepEqual (get $iso.limitRange $key | default dict) $vsyncerDefault)) -}}
{{- /* Over vCluster's defaults, as its values merge; a key set to null takes the default out. */ -}}
{{- $limits := deepCopy (get $vclusterDefaults.limitRange $key) -}}
{{- range $resource, $value := (kindIs "map" (get $lr $key)) | ternary (get $lr $key) dict -}}
{{- if kindIs "invalid" $value -}}{{- $_ := unset $limits $resource -}}{{- else -}}{{- $_ := set $limits $resource $value -}}{{- end -}}
{{- end -}}
{{- include "vsyncer.vc.assign" (dict "s" $s "from" (printf "policies.limitRange.%s" $key) "to" (printf "isolation.limitRange.%s" $key) "value" (ternary $limits (get $lr $key) (or (kindIs "map" (get $lr $key)) (not (hasKey $lr $key)))) "default" $vsyncerDefault) -}}
{{- end -}}
{{- end -}}
{{- with $p.limitRange -}}{{- if kindIs "map" . -}}
{{- $lr := . -}}
{{- range $key := list "min" "max" -}}{{- if hasKey $lr $key -}}
{{- include "vsyncer.vc.assign" (dict "s" $s "from" (printf "policies.limitRange.%s" $key) "to" (printf "isolation.limitRange.%s" $key) "value" (get $lr $key | default dict) "default" dict) -}}
{{- end -}}{{- end -}}
{{- end -}}{{- end -}}
{{- /* The objects' labels and annotations (vCluster's globalMetadata.annotations, which it adds too, is refused). */ -}}
{{- range $name := list "resourceQuota" "limitRange" "networkPolicy" -}}
{{- $own := get $p $name -}}
{{- if kindIs "map" $own -}}
{{- range $key := list "labels" "annotations" -}}{{- if hasKey $own $key -}}
{{- range $k, $v := (kindIs "map" (get $own $key)) | ternary (get $own $key) dict -}}{{- if not (kindIs "string" $v) -}}
{{- include "vsyncer.vc.problem" (dict "s" $s "text" (printf "policies.%s.%s.%s must be a string (quote it), not %s" $name $key $k (toJson $v))) -}}
{{- end -}}{{- end -}}
{{- include "vsyncer.vc.assign" (dict "s" $s "from" (printf "policies.%s.%s" $name $key) "to" (printf "isolation.%s.%s" $name $key) "value" (get $own $key | default dict) "default" dict) -}}
{{- end -}}{{- end -}}
{{- end -}}
{{- end -}}
{{- with $p.networkPolicy -}}
{{- $np := . -}}
{{- range $side, $rules := dict "workload" (dict "ingress" "workloadIngress" "egress" "workloadEgress") "controlPlane" (dict "ingress" "controlPlaneIngress" "egress" "controlPlaneEgress") -}}
{{- with get $np $side -}}
{{- $sec := . -}}
{{- include "vsyncer.vc.keys" (dict "s" $s "at" (printf "policies.networkPolicy.%s" $side) "m" $sec "known" (ternary (list "ingress" "egress" "publicEgress") (list "ingress" "egress") (eq $side "workload"))) -}}
{{- range $dir, $to := $rules -}}{{- if hasKey $sec $dir -}}
{{- include "vsyncer.vc.assign" (dict "s" $s "from" (printf "policies.networkPolicy.%s.%s" $side $dir) "to" (printf "isolation.networkPolicy.%s" $to) "value" (get $sec $dir) "default" list) -}}
{{- end -}}{{- end -}}
{{- end -}}
{{- end -}}
{{- with ($np.workload | default dict).publicEgress -}}
{{- $at := "policies.networkPolicy.workload.publicEgress" -}}
{{- include "vsyncer.vc.keys" (dict "s" $s "at" $at "m" . "known" (list "enabled" "cidr" "except")) -}}
{{- if hasKey . "enabled" -}}
{{- if kindIs "bool" .enabled -}}
{{- include "vsyncer.vc.assign" (dict "s" $s "from" (printf "%s.enabled" $at) "to" "isolation.networkPolicy.publicEgress" "value" .enabled "default" true) -}}
{{- else -}}
{{- include "vsyncer.vc.problem" (dict "s" $s "text" (printf "%s.enabled must be true or false" $at)) -}}
{{- end -}}
{{- end -}}
{{- /* Off, its cidr and except bound nothing: vCluster leaves them unread. */ -}}
{{- if ne (toString .enabled) "false" -}}
{{- include "vsyncer.vc.egressBlock" (dict "s" $s "at" $at "m" .) -}}
{{- end -}}
{{- end -}}
{{- /* Before v0.31: outgoingConnections.ipBlock (publicEgress's cidr and except), platform (Loft's, accepted), extra rules. */ -}}
{{- with $np.outgoingConnections -}}
{{- $at := "policies.networkPolicy.outgoingConnections" -}}
{{- include "vsyncer.vc.keys" (dict "s" $s "at" $at "m" . "known" (list "ipBlock" "platform")) -}}
{{- with .ipBlock -}}
{{- include "vsyncer.vc.keys" (dict "s" $s "at" (printf "%s.ipBlock" $at) "m" . "known" (list "cidr" "except")) -}}
{{- include "vsyncer.vc.egressBlock" (dict "s" $s "at" (printf "%s.ipBlock" $at) "m" .) -}}
{{- end -}}
{{- end -}}
{{- range $field, $to := dict "extraWorkloadRules" "workloadEgress" "extraControlPlaneRules" "controlPlaneEgress" -}}
{{- if hasKey $np $field -}}
{{- include "vsyncer.vc.assign" (dict "s" $s "from" (printf "policies.networkPolicy.%s" $field) "to" (printf "isolation.networkPolicy.%s" $to) "value" (get $np $field | default list) "default" list) -}}
{{- end -}}
{{- end -}}
{{- end -}}
{{- end -}}
{{- end -}}
{{- end -}}

{{/*
vCluster's public egress (cidr and except of policies.networkPolicy.workload.publicEgress, earlier
outgoingConnections.ipBlock): isolation.networkPolicy.outgoingCIDR and exceptCIDRs. vCluster's except
list leaves out link-local (cloud metadata at 169.254.169.254), which vsyncer's always excepts: kept
excepted when the cidr is every IPv4 address (an except must lie inside its cidr). vCluster's default
list sets nothing. Call with (dict "s" $s "at" ... "m" map).
*/}}
{{- define "vsyncer.vc.egressBlock" -}}
{{- $s := .s -}}
{{- $at := .at -}}
{{- with .m -}}
{{- if hasKey . "cidr" -}}
{{- include "vsyncer.vc.assign" (dict "s" $s "from" (printf "%s.cidr" $at) "to" "isolation.networkPolicy.outgoingCIDR" "value" .cidr "default" "0.0.0.0/0" "vcDefault" "0.0.0.0/0") -}}
{{- end -}}
{{- if hasKey . "except" -}}
{{- $except := .except | default list -}}
{{- $vcDefault := list "100.64.0.0/10" "127.0.0.0/8" "10.0.0.0/8" "172.16.0.0/12" "192.168.0.0/16" -}}
{{- if and (eq (toString (.cidr | default "0.0.0.0/0")) "0.0.0.0/0") (not (has "169.254.0.0/16" $except)) -}}
{{- $except = append $except "169.254.0.0/16" -}}
{{- $vcDefault = append $vcDefault "169.254.0.0/16" -}}
{{- end -}}
{{- include "vsyncer.vc.assign" (dict "s" $s "from" (printf "%s.except" $at) "to" "isolation.networkPolicy.exceptCIDRs" "value" $except "default" (include "vsyncer.vc.defaultIsolation" $s | fromYaml).networkPolicy.exceptCIDRs "vcDefault" $vcDefault) -}}
{{- end -}}
{{- end -}}
{{- end -}}

{{/*
Whether an isolation object is on: "true" or empty. Call with (dict "root" $ "object" ...), object one
of resourceQuota, limitRange, networkPolicy: its own isolation.<object>.enabled, or when that is unset
(null) isolation.enabled.
*/}}
{{- define "vsyncer.isolationOn" -}}
{{- include "vsyncer.values" .root -}}
{{- $iso := .root.Values.isolation -}}
{{- $own := get (kindIs "map" (get $iso .object) | ternary (get $iso .object) dict) "enabled" -}}
{{- if kindIs "invalid" $own -}}{{- $own = $iso.enabled -}}{{- end -}}
{{- if $own -}}true{{- end -}}
{{- end -}}

{{/*
Sets isolation.<object>.enabled to `value`, from the vCluster value `from`: refused when that switch is
set (not null) to the other value, unless `soft` (vCluster's auto), which then leaves it.
Call with (dict "s" $s "object" ... "value" bool "from" ... ["soft" true]).
*/}}
{{- define "vsyncer.vc.switch" -}}
{{- $iso := .s.root.Values.isolation -}}
{{- if not (kindIs "map" (get $iso .object)) -}}{{- $_ := set $iso .object dict -}}{{- end -}}
{{- $at := get $iso .object -}}
{{- $now := get $at "enabled" -}}
{{- if and (kindIs "invalid" $now) $iso.enabled (not .value) (not .soft) -}}
{{- /* Off in vCluster's values (its default for networkPolicy) while isolation.enabled turns it on: which was meant is not for the chart to guess. */ -}}
{{- include "vsyncer.vc.problem" (dict "s" .s "text" (printf "%s (false) and isolation.enabled (true, which turns isolation.%s on) are both set: set isolation.%s.enabled: false, or leave %s out" .from .object .object .from)) -}}
{{- else if or (kindIs "invalid" $now) (eq (toString $now) (toString .value)) -}}
{{- $_ := set $at "enabled" .value -}}
{{- else if not .soft -}}
{{- include "vsyncer.vc.problem" (dict "s" .s "text" (printf "%s (%v) and isolation.%s.enabled (%v) are both set, to different things: set one" .from .value .object $now)) -}}
{{- end -}}
{{- end -}}

{{/*
An isolation object's labels and annotations: the chart's labels and vCluster's `app: vcluster` (so
`-l app=vcluster,release=<name>` finds them as it finds vCluster's), then the admin's
(isolation.<object>.labels and annotations; vCluster's policies.<object>.labels and annotations). The
chart's labels win: merge keeps the first map's value of a key both have.
Call with (dict "root" $ "object" ...), object one of resourceQuota, limitRange, networkPolicy.
*/}}
{{- define "vsyncer.isolationMetadata" -}}
{{- $own := get .root.Values.isolation .object | default dict -}}
labels: {{- merge (include "vsyncer.labels" .root | fromYaml) (include "vsyncer.vclusterAppLabel" .root | fromYaml) (deepCopy ($own.labels | default dict)) | toYaml | nindent 2 }}
{{- with $own.annotations }}
annotations: {{- toYaml . | nindent 2 }}
{{- end }}
{{- end -}}

{{/*
controlPlane.env as container env entries (YAML list items; empty when none), for the control plane's
containers and the syncer. A name the chart sets itself is refused: a second entry of a name would
replace the chart's (the data store's endpoint, the Service's address in k3s's certificate).
*/}}
{{- define "vsyncer.extraEnv" -}}
{{- range .Values.controlPlane.env -}}
{{- with include "vsyncer.envNameProblem" (dict "root" $ "name" (toString .name)) -}}
{{- fail (printf "controlPlane.env (vCluster's controlPlane.statefulSet.env): %s" .) -}}
{{- end -}}
{{- end -}}
{{- with .Values.controlPlane.env -}}{{- toYaml . -}}{{- end -}}
{{- end -}}

{{/*
Why an environment variable named `name` may not be set in the control-plane pod, or nothing: the
chart's own (the pod's name and IP, the release Service's address k3s puts in its certificate), k3s's
settings (K3S_*: its data store, token, a server to join), and the in-cluster API address
(KUBERNETES_SERVICE_*, KUBERNETES_PORT*), which would send the syncer's host credentials elsewhere.
Call with (dict "root" $ "name" ...).
*/}}
{{- define "vsyncer.envNameProblem" -}}
{{- $own := list "POD_NAME" "POD_IP" (include "vsyncer.serviceHostEnv" .root) -}}
{{- if has .name $own -}}
{{- printf "%s is set by the chart itself; leave it out" .name -}}
{{- else if hasPrefix "K3S_" .name -}}
{{- printf "%s: k3s's own settings (K3S_*) are the chart's (k3s.datastore, k3s.extraArgs); leave it out" .name -}}
{{- else if or (hasPrefix "KUBERNETES_SERVICE_" .name) (hasPrefix "KUBERNETES_PORT" .name) -}}
{{- printf "%s would point the syncer's in-cluster client, and its host credentials, at another address; leave it out" .name -}}
{{- end -}}
{{- end -}}

{{/* controlPlane.extraVolumeMounts as container volumeMounts entries (empty when none). */}}
{{- define "vsyncer.extraVolumeMounts" -}}
{{- with .Values.controlPlane.extraVolumeMounts -}}{{- toYaml . -}}{{- end -}}
{{- end -}}

{{/*
The admin's volumes and mounts beside the chart's: a volume may not take a name of the chart's, a mount
names one of the admin's volumes (the chart's hold the syncer's host token, the CA keys), and no mount
goes at or under a path the chart mounts (its data, credentials and scratch space).
*/}}
{{- define "vsyncer.checkExtraVolumes" -}}
{{- $chartVolumes := list "data" "kubeconfig" "pki" "scheduler-kubeconfig" "serving-cert" "tmp" "host-kubeconfig" "host-api-token" "kubelet-tls" "kubelet-client" "kubelet-ca" "syncer-config" "init-manifests" -}}
{{- $names := list -}}
{{- range .Values.controlPlane.extraVolumes -}}
{{- if has (toString .name) $chartVolumes -}}
{{- fail (printf "controlPlane.extraVolumes (vCluster's controlPlane.statefulSet.persistence.addVolumes): %s is a volume of the chart's own (%s); name yours otherwise" .name (join ", " $chartVolumes)) -}}
{{- end -}}
{{- $names = append $names (toString .name) -}}
{{- end -}}
{{- range .Values.controlPlane.extraVolumeMounts -}}
{{- $mount := . -}}
{{- if not (has (toString .name) $names) -}}
{{- fail (printf "controlPlane.extraVolumeMounts (vCluster's controlPlane.statefulSet.persistence.addVolumeMounts): %s is not one of controlPlane.extraVolumes (%s); a mount names a volume of yours" .name (join ", " $names)) -}}
{{- end -}}
{{- $path := trimSuffix "/" (toString .mountPath) -}}
{{- range $taken := list "/data" "/etc/vsyncer" "/tmp" "/var/run/secrets" -}}
{{- if or (eq $path $taken) (hasPrefix (printf "%s/" $taken) $path) (hasPrefix (printf "%s/" $path) $taken) -}}
{{- fail (printf "controlPlane.extraVolumeMounts (vCluster's controlPlane.statefulSet.persistence.addVolumeMounts): %s at %s would cover or lie inside %s, where the chart mounts the control plane's data, credentials or scratch space; mount it elsewhere" $mount.name $mount.mountPath $taken) -}}
{{- end -}}
{{- end -}}
{{- end -}}
{{- end -}}

{{/*
A quota that counts cpu or memory (requests.cpu, requests.memory, limits.cpu, limits.memory, or bare
cpu and memory) makes the API server refuse every pod of the namespace one of whose containers does
not declare it, the control plane's own among them (Kubernetes' quota admission; ephemeral storage
is not checked so). With the LimitRange on it gives every container defaults; without it, the
chart's own containers must declare what the quota counts, or the virtual cluster never starts: said
at render, naming the containers and the ways out. A quota counting node ports (services.nodeports,
vCluster's default 0) beside a control-plane Service that needs one is refused the same way.
*/}}
{{- define "vsyncer.checkQuotaAdmitsControlPlane" -}}
{{- $hard := .Values.isolation.resourceQuota.hard | default dict -}}
{{- if not (include "vsyncer.isolationOn" (dict "root" . "object" "limitRange")) -}}
{{- $containers := dict "syncer" .Values.syncer.resources -}}
{{- if or .Values.syncer.kubelet.enabled (eq (include "vsyncer.distro" .) "vanilla") -}}
{{- $_ := set $containers "the certificate init containers" (include "vsyncer.issueCertResources" . | fromYaml) -}}
{{- end -}}
{{- if eq (include "vsyncer.distro" .) "vanilla" -}}
{{- $v := .Values.vanilla -}}
{{- $_ := set $containers "vanilla.apiServer" $v.apiServer.resources -}}
{{- $_ := set $containers "vanilla.controllerManager" $v.controllerManager.resources -}}
{{- if .Values.syncer.virtualScheduler -}}{{- $_ := set $containers "vanilla.scheduler" $v.scheduler.resources -}}{{- end -}}
{{- if not .Values.deployedEtcd.enabled -}}{{- $_ := set $containers "vanilla.etcd" $v.etcd.resources -}}{{- end -}}
{{- else -}}
{{- $_ := set $containers "k3s" .Values.k3s.resources -}}
{{- end -}}
{{- if .Values.deployedEtcd.enabled -}}{{- $_ := set $containers "deployedEtcd" .Values.deployedEtcd.resources -}}{{- end -}}
{{- $declares := dict "cpu" (list "requests" "cpu") "requests.cpu" (list "requests" "cpu") "memory" (list "requests" "memory") "requests.memory" (list "requests" "memory") "limits.cpu" (list "limits" "cpu") "limits.memory" (list "limits" "memory") -}}
{{- $missing := list -}}
{{- $keys := list -}}
{{- range $key, $_ := $hard -}}
{{- with get $declares $key -}}
{{- $part := index . 0 -}}
{{- $resource := index . 1 -}}
{{- range $name, $res := $containers -}}
{{- $declared := get ((kindIs "map" $res) | ternary $res dict) $part -}}
{{- if not (and (kindIs "map" $declared) (hasKey $declared $resource)) -}}
{{- $missing = append $missing (printf "%s (%s.%s)" $name $part $resource) -}}
{{- $keys = append $keys $key -}}
{{- end -}}
{{- end -}}
{{- end -}}
{{- end -}}
{{- with $missing -}}
{{- fail (printf "isolation.resourceQuota (vCluster's policies.resourceQuota) counts %s: with no LimitRange to give containers defaults (isolation.limitRange, vCluster's policies.limitRange, is off), the API server then admits only pods each of whose containers declares that, and the control plane's do not: %s. Turn the LimitRange on, set those quota keys to null, or give those containers the resources" (join ", " ($keys | uniq | sortAlpha)) (join ", " (. | uniq | sortAlpha))) -}}
{{- end -}}
{{- end -}}
{{- $nodePorts := get $hard "services.nodeports" -}}
{{- if and (include "vsyncer.controlPlaneTakesNodePorts" .) (not (kindIs "invalid" $nodePorts)) (eq (toString $nodePorts) "0") -}}
{{- fail (printf "isolation.resourceQuota (vCluster's policies.resourceQuota) allows no node port (services.nodeports: 0, vCluster's default), and the control plane's Service (controlPlane.service.spec.type %s) needs one: raise or null services.nodeports, or use another Service type" (toString (.Values.controlPlane.service.spec | default dict).type)) -}}
{{- end -}}
{{- end -}}

{{/* "true" when the control plane's Service takes node ports (NodePort, or a LoadBalancer allocating them). */}}
{{- define "vsyncer.controlPlaneTakesNodePorts" -}}
{{- $service := .Values.controlPlane.service.spec | default dict -}}
{{- $type := toString ($service.type | default "ClusterIP") -}}
{{- if or (eq $type "NodePort") (and (eq $type "LoadBalancer") (ne (toString $service.allocateLoadBalancerNodePorts) "false")) -}}true{{- end -}}
{{- end -}}

{{/*
The quota's defaults that cannot hold beside the release's other values are left out, rather than
refuse a release that rendered before they were added: a scope of pods counts no storage, node
ports or load balancers (the API server would refuse the quota), and a control-plane Service of
type NodePort or LoadBalancer takes node ports itself. A value the user set, or a vcluster.yaml's
quota (vCluster refuses those the same way), is judged as written (checkQuotaScopes,
checkQuotaAdmitsControlPlane).
*/}}
{{- define "vsyncer.dropQuotaDefaultsThatCannotHold" -}}
{{- $rq := .Values.isolation.resourceQuota -}}
{{- $hard := $rq.hard | default dict -}}
{{- if not $rq.quotaOfVcluster -}}
{{- $defaults := (include "vsyncer.vc.defaultIsolation" . | fromYaml).resourceQuota.hard -}}
{{- $scoped := or $rq.scopes ($rq.scopeSelector | default dict).matchExpressions -}}
{{- $takesNodePorts := include "vsyncer.controlPlaneTakesNodePorts" . -}}
{{- range $key := list "requests.storage" "services.nodeports" "services.loadbalancers" -}}
{{- $isDefault := and (hasKey $hard $key) (eq (toString (get $hard $key)) (toString (get $defaults $key))) -}}
{{- if and $isDefault (or $scoped (and $takesNodePorts (eq $key "services.nodeports"))) -}}
{{- $_ := unset $hard $key -}}
{{- end -}}
{{- end -}}
{{- end -}}
{{- end -}}

{{/*
The quota's scopes against what it counts, as the API server checks them, said at render with the way
out: a scope of pods (BestEffort: their number only; Terminating, NotTerminating, NotBestEffort,
PriorityClass, CrossNamespacePodAffinity: their number, cpu and memory) cannot count another of the
standard quota resources (object counts, count/*, and extended resources are not judged), and
`hard` holds the defaults (vsyncer's or vCluster's) unless set to null. Then, on an upgrade, the
scopes of the quota there (Helm's lookup): Kubernetes lets no update change them.
*/}}
{{- define "vsyncer.checkQuotaScopes" -}}
{{- $rq := .Values.isolation.resourceQuota -}}
{{- $scopes := list -}}
{{- range $rq.scopes | default list -}}{{- $scopes = append $scopes (toString .) -}}{{- end -}}
{{- range ($rq.scopeSelector | default dict).matchExpressions | default list -}}{{- $scopes = append $scopes (toString .scopeName) -}}{{- end -}}
{{- $pods := list "pods" -}}
{{- $compute := list "pods" "cpu" "memory" "requests.cpu" "requests.memory" "limits.cpu" "limits.memory" -}}
{{- $counts := dict "BestEffort" $pods "Terminating" $compute "NotTerminating" $compute "NotBestEffort" $compute "PriorityClass" $compute "CrossNamespacePodAffinity" $compute -}}
{{- range $scope := $scopes | uniq -}}
{{- with get $counts $scope -}}
{{- $allowed := . -}}
{{- $other := list -}}
{{- /* As the API server: only its standard quota names are judged (count/*, extended resources are not). */ -}}
{{- $standard := list "cpu" "memory" "ephemeral-storage" "requests.cpu" "requests.memory" "requests.storage" "requests.ephemeral-storage" "limits.cpu" "limits.memory" "limits.ephemeral-storage" "pods" "resourcequotas" "services" "replicationcontrollers" "secrets" "persistentvolumeclaims" "configmaps" "services.nodeports" "services.loadbalancers" -}}
{{- range $key, $_ := $rq.hard | default dict -}}
{{- $isStandard := or (has $key $standard) (hasPrefix "hugepages-" $key) (hasPrefix "requests.hugepages-" $key) -}}
{{- if and $isStandard (not (has $key $allowed)) -}}{{- $other = append $other $key -}}{{- end -}}
{{- end -}}
{{- if $other -}}
{{- fail (printf "isolation.resourceQuota (vCluster's policies.resourceQuota): a quota scoped to %s counts only %s, not %s of its hard limits (the defaults among them): set those to null (hard: {%s: null}, vCluster's quota the same), or drop the scope" $scope (join ", " $allowed) (join ", " ($other | sortAlpha)) (first ($other | sortAlpha))) -}}
{{- end -}}
{{- end -}}
{{- end -}}
{{- with lookup "v1" "ResourceQuota" .Release.Namespace (printf "vc-%s" (include "vsyncer.name" .)) -}}
{{- $was := list -}}
{{- range (.spec | default dict).scopes | default list -}}{{- $was = append $was (toString .) -}}{{- end -}}
{{- $now := list -}}
{{- range $rq.scopes | default list -}}{{- $now = append $now (toString .) -}}{{- end -}}
{{- if ne (toJson ($was | sortAlpha)) (toJson ($now | sortAlpha)) -}}
{{- fail (printf "isolation.resourceQuota.scopes (vCluster's policies.resourceQuota.scopes): the quota vc-%s there has scopes %s, and Kubernetes lets no update change them; keep those, or delete the ResourceQuota vc-%s in %s before the upgrade" (include "vsyncer.name" $) (toJson $was) (include "vsyncer.name" $) $.Release.Namespace) -}}
{{- end -}}
{{- end -}}
{{- end -}}

{{/* isolation's defaults in values.yaml (the chart cannot read them back once a user's values are merged in). */}}
{{/*
The host RBAC the custom resources of syncer.config.customResources need (vsyncer's list form, or
vCluster's map form; a vcluster.yaml's sync.*.customResources lands there), as JSON {"namespace":
[rules], "cluster": [rules]}, per docs/custom-resources.md's Host RBAC table: a toHost entry reads
and writes its resource in the host namespace, a fromHost entry reads its resource across the host,
and every entry reads its CRD (a toHost entry with crd: toHost creates and updates it). An entry
the syncer would refuse (not <plural>.<group>[/<version>], a built-in API group: BUILT_IN_API_GROUPS
in src/translators/custom-resources/config.ts) fails the render here, before any rule is granted
for it; one turned off in syncer.sync (-cr:<plural>.<group>) gets none.
*/}}
{{- define "vsyncer.customResourceRules" -}}
{{- $config := .Values.syncer.config -}}
{{- $cr := dict -}}
{{- if and (kindIs "map" $config) (kindIs "map" $config.customResources) -}}{{- $cr = $config.customResources -}}{{- end -}}
{{- $builtInGroups := list "admissionregistration.k8s.io" "apiextensions.k8s.io" "apiregistration.k8s.io" "authentication.k8s.io" "authorization.k8s.io" "certificates.k8s.io" "coordination.k8s.io" "discovery.k8s.io" "events.k8s.io" "flowcontrol.apiserver.k8s.io" "internal.apiserver.k8s.io" "metrics.k8s.io" "networking.k8s.io" "node.k8s.io" "rbac.authorization.k8s.io" "resource.k8s.io" "scheduling.k8s.io" "storage.k8s.io" "storagemigration.k8s.io" -}}
{{- $label := "[a-z0-9]([-a-z0-9]*[a-z0-9])?" -}}
{{- $form := printf "^%s\\.%s(\\.%s)+(/v[1-9][0-9]*((alpha|beta)[1-9][0-9]*)?)?$" $label $label $label -}}
{{- $off := list -}}
{{- range .Values.syncer.sync | default list -}}{{- if hasPrefix "-cr:" (toString .) -}}{{- $off = append $off (trimPrefix "-cr:" (toString .)) -}}{{- end -}}{{- end -}}
{{- $namespace := list -}}
{{- $cluster := list -}}
{{- $crdReads := list -}}
{{- $crdWrites := list -}}
{{- range $dir := list "toHost" "fromHost" -}}
{{- $entries := list -}}
{{- $section := get $cr $dir -}}
{{- if kindIs "slice" $section -}}
{{- range $i, $e := $section -}}{{- if kindIs "map" $e -}}{{- $entries = append $entries (dict "at" (printf "syncer.config.customResources.%s[%d].resource" $dir $i) "resource" (trim (toString $e.resource)) "crd" (toString ($e.crd | default "fromHost"))) -}}{{- end -}}{{- end -}}
{{- else if kindIs "map" $section -}}
{{- range $key, $e := $section -}}{{- if and (kindIs "map" $e) (kindIs "bool" $e.enabled) $e.enabled -}}{{- $entries = append $entries (dict "at" (printf "syncer.config.customResources.%s[%s]" $dir (toJson $key)) "resource" (trim $key) "crd" "fromHost") -}}{{- end -}}{{- end -}}
{{- end -}}
{{- range $entries -}}
{{- if not (regexMatch $form .resource) -}}
{{- fail (printf "%s must be <plural>.<group>/<version> or <plural>.<group> (a CRD's name, the group with a dot), e.g. certificates.cert-manager.io/v1, not %q" .at .resource) -}}
{{- end -}}
{{- $name := first (splitList "/" .resource) -}}
{{- $plural := regexReplaceAll "\\..*$" $name "" -}}
{{- $group := regexReplaceAll "^[^.]*\\." $name "" -}}
{{- if has $group $builtInGroups -}}
{{- fail (printf "%s: %s is a built-in kind, not a custom resource" .at $name) -}}
{{- end -}}
{{- if not (has $name $off) -}}
{{- if eq $dir "toHost" -}}
{{- $namespace = append $namespace (dict "apiGroups" (list $group) "resources" (list $plural) "verbs" (list "get" "list" "watch" "create" "update" "patch" "delete")) -}}
{{- if eq .crd "toHost" -}}{{- $crdWrites = append $crdWrites $name -}}{{- end -}}
{{- else -}}
{{- $cluster = append $cluster (dict "apiGroups" (list $group) "resources" (list $plural) "verbs" (list "get" "list" "watch")) -}}
{{- end -}}
{{- $crdReads = append $crdReads $name -}}
{{- end -}}
{{- end -}}
{{- end -}}
{{- /* Each entry's own CRD by name; a create cannot be limited to a name. */ -}}
{{- with $crdReads -}}
{{- $cluster = append $cluster (dict "apiGroups" (list "apiextensions.k8s.io") "resources" (list "customresourcedefinitions") "resourceNames" (uniq .) "verbs" (list "get")) -}}
{{- end -}}
{{- with $crdWrites -}}
{{- $cluster = append $cluster (dict "apiGroups" (list "apiextensions.k8s.io") "resources" (list "customresourcedefinitions") "resourceNames" (uniq .) "verbs" (list "update")) -}}
{{- $cluster = append $cluster (dict "apiGroups" (list "apiextensions.k8s.io") "resources" (list "customresourcedefinitions") "verbs" (list "create")) -}}
{{- end -}}
{{- dict "namespace" $namespace "cluster" $cluster | toJson -}}
{{- end -}}

{{/*
vCluster's own defaults of policies.resourceQuota.quota and policies.limitRange.default/defaultRequest:
the quota and limit range that vcluster.yaml's policies turn on get these, as vCluster's chart gives.
*/}}
{{- define "vsyncer.vc.vclusterIsolationDefaults" -}}
resourceQuota:
  hard:
    requests.cpu: "10"
    requests.memory: 20Gi
    requests.storage: 100Gi
    requests.ephemeral-storage: 60Gi
    limits.cpu: "20"
    limits.memory: 40Gi
    limits.ephemeral-storage: 160Gi
    services.nodeports: "0"
    services.loadbalancers: "1"
    count/endpoints: "40"
    count/pods: "20"
    count/services: "20"
    count/secrets: "100"
    count/configmaps: "100"
    count/persistentvolumeclaims: "20"
limitRange:
  default: {ephemeral-storage: 8Gi, memory: 512Mi, cpu: "1"}
  defaultRequest: {ephemeral-storage: 3Gi, memory: 128Mi, cpu: 100m}
{{- end -}}

{{- define "vsyncer.vc.defaultIsolation" -}}
resourceQuota:
  hard:
    requests.cpu: "10"
    requests.memory: 20Gi
    requests.storage: 100Gi
    pods: "100"
    services: "50"
    services.nodeports: "0"
    services.loadbalancers: "1"
    count/secrets: "200"
    count/configmaps: "100"
    count/persistentvolumeclaims: "20"
limitRange:
  default: {cpu: "1", memory: 512Mi}
  defaultRequest: {cpu: 100m, memory: 128Mi}
networkPolicy:
  exceptCIDRs: [10.0.0.0/8, 172.16.0.0/12, 192.168.0.0/16, 100.64.0.0/10, 169.254.0.0/16, 127.0.0.0/8]
{{- end -}}

{{/* An exported kubeconfig's service account as the syncer's flags take it: <namespace>/<name>. */}}
{{- define "vsyncer.exportServiceAccount" -}}
{{- printf "%s/%s" (.namespace | default "kube-system") .name -}}
{{- end -}}

{{/* vCluster's exportKubeConfig (capital C): vsyncer's exportKubeconfig. */}}
{{- define "vsyncer.vc.exportKubeConfig" -}}
{{- $s := . -}}
{{- with $s.root.Values.exportKubeConfig -}}
{{- $e := . -}}
{{- $at := "exportKubeConfig" -}}
{{- include "vsyncer.vc.keys" (dict "s" $s "at" $at "m" $e "known" (list "server" "secret" "additionalSecrets" "context" "insecure" "serviceAccount")) -}}
{{- if kindIs "map" $e -}}
{{- with $e.server -}}
{{- include "vsyncer.vc.assign" (dict "s" $s "from" "exportKubeConfig.server" "to" "exportKubeconfig.server" "value" . "default" "https://localhost:8443") -}}
{{- end -}}
{{- with $e.context -}}
{{- include "vsyncer.vc.assign" (dict "s" $s "from" "exportKubeConfig.context" "to" "exportKubeconfig.context" "value" . "default" "") -}}
{{- end -}}
{{- if hasKey $e "insecure" -}}
{{- include "vsyncer.vc.assign" (dict "s" $s "from" "exportKubeConfig.insecure" "to" "exportKubeconfig.insecure" "value" $e.insecure "default" false) -}}
{{- end -}}
{{- with $e.serviceAccount -}}
{{- include "vsyncer.vc.keys" (dict "s" $s "at" "exportKubeConfig.serviceAccount" "m" . "known" (list "name" "namespace" "clusterRole")) -}}
{{- if and (kindIs "map" .) (not .name) .clusterRole -}}
{{- include "vsyncer.vc.problem" (dict "s" $s "text" "exportKubeConfig.serviceAccount.clusterRole is bound to serviceAccount.name, which is not given") -}}
{{- end -}}
{{- if and (kindIs "map" .) .name -}}
{{- include "vsyncer.vc.assign" (dict "s" $s "from" "exportKubeConfig.serviceAccount" "to" "exportKubeconfig.serviceAccount" "value" (dict "name" (toString .name) "namespace" (toString (.namespace | default "")) "clusterRole" (toString (.clusterRole | default ""))) "default" (dict "name" "" "namespace" "" "clusterRole" "")) -}}
{{- end -}}
{{- end -}}
{{- /*
vCluster writes vc-<name> always (its CLI reads that one), and exportKubeConfig.secret (deprecated)
besides, with the same server, context and insecure: an additional Secret here. vCluster then
ignores additionalSecrets, so both set is refused.
*/ -}}
{{- with $e.secret -}}
{{- $sec := . -}}
{{- include "vsyncer.vc.keys" (dict "s" $s "at" "exportKubeConfig.secret" "m" $sec "known" (list "name" "namespace")) -}}
{{- $here := or (not $sec.namespace) (eq (toString $sec.namespace) $s.root.Release.Namespace) -}}
{{- if and $sec.name (not (and $here (eq (toString $sec.name) (printf "vc-%s" $s.root.Release.Name)))) -}}
{{- if $e.additionalSecrets -}}
{{- include "vsyncer.vc.problem" (dict "s" $s "text" "exportKubeConfig.secret and exportKubeConfig.additionalSecrets are both set: vCluster reads secret alone then; set one") -}}
{{- else -}}
{{- $entry := dict "name" (toString $sec.name) -}}
{{- if not $here -}}{{- $_ := set $entry "namespace" (toString $sec.namespace) -}}{{- end -}}
{{- with $e.server -}}{{- $_ := set $entry "server" . -}}{{- end -}}
{{- with $e.context -}}{{- $_ := set $entry "context" . -}}{{- end -}}
{{- if eq (toString $e.insecure) "true" -}}{{- $_ := set $entry "insecure" true -}}{{- end -}}
{{- if and (kindIs "map" $e.serviceAccount) $e.serviceAccount.name -}}{{- $_ := set $entry "serviceAccount" $e.serviceAccount -}}{{- end -}}
{{- include "vsyncer.vc.assign" (dict "s" $s "from" "exportKubeConfig.secret" "to" "exportKubeconfig.additionalSecrets" "value" (list $entry) "default" list) -}}
{{- end -}}
{{- end -}}
{{- end -}}
{{- if hasKey $e "additionalSecrets" -}}
{{- range $i, $a := ($e.additionalSecrets | default list) -}}
{{- include "vsyncer.vc.keys" (dict "s" $s "at" (printf "exportKubeConfig.additionalSecrets[%d]" $i) "m" $a "known" (list "name" "namespace" "server" "context" "insecure" "serviceAccount")) -}}
{{- with $a.serviceAccount -}}
{{- include "vsyncer.vc.keys" (dict "s" $s "at" (printf "exportKubeConfig.additionalSecrets[%d].serviceAccount" $i) "m" . "known" (list "name" "namespace" "clusterRole")) -}}
{{- end -}}
{{- end -}}
{{- include "vsyncer.vc.assign" (dict "s" $s "from" "exportKubeConfig.additionalSecrets" "to" "exportKubeconfig.additionalSecrets" "value" ($e.additionalSecrets | default list) "default" list) -}}
{{- end -}}
{{- end -}}
{{- end -}}
{{- end -}}

{{/* vCluster's controlPlane.advanced: its virtual scheduler and the workload service account. */}}
{{- define "vsyncer.vc.advanced" -}}
{{- $s := . -}}
{{- $cp := $s.root.Values.controlPlane | default dict -}}
{{- if and (kindIs "map" $cp) (hasKey $cp "advanced") -}}
{{- $a := $cp.advanced | default dict -}}
{{- $at := "controlPlane.advanced" -}}
{{- /* konnectivity and the cloud controller manager run with private nodes only, which vsyncer lacks: accepted, unused. */ -}}
{{- include "vsyncer.vc.keys" (dict "s" $s "at" $at "m" $a "known" (list "virtualScheduler" "workloadServiceAccount" "serviceAccount" "podDisruptionBudget" "defaultImageRegistry") "ignored" (list "konnectivity" "cloudControllerManager") "off" (list "headlessService" "globalMetadata" "kubeVip" "registry")) -}}
{{- if and (kindIs "map" $a) (hasKey $a "defaultImageRegistry") -}}
{{- include "vsyncer.vc.assign" (dict "s" $s "from" (printf "%s.defaultImageRegistry" $at) "to" "controlPlane.defaultImageRegistry" "value" (toString ($a.defaultImageRegistry | default "")) "default" "") -}}
{{- end -}}
{{- with $a.serviceAccount -}}
{{- $sa := . -}}
{{- $sat := printf "%s.serviceAccount" $at -}}
{{- include "vsyncer.vc.keys" (dict "s" $s "at" $sat "m" $sa "known" (list "enabled" "imagePullSecrets" "name" "labels" "annotations")) -}}
{{- /* The syncer's host identity: made by the chart (enabled), or one made beforehand, named. */ -}}
{{- if hasKey $sa "enabled" -}}
{{- include "vsyncer.vc.assign" (dict "s" $s "from" (printf "%s.enabled" $sat) "to" "syncer.serviceAccount.create" "value" (eq (toString $sa.enabled) "true") "default" true "vcDefault" true) -}}
{{- end -}}
{{- /* Unnamed, vCluster's own name for it: vc-<release>, made beforehand when enabled is false. */ -}}
{{- $saName := $sa.name | default (ternary (printf "vc-%s" $s.root.Release.Name) "" (eq (toString $sa.enabled) "false")) -}}
{{- with $saName -}}
{{- include "vsyncer.vc.assign" (dict "s" $s "from" (printf "%s.name" $sat) "to" "syncer.serviceAccount.name" "value" (toString .) "default" "") -}}
{{- end -}}
{{- range $field := list "labels" "annotations" -}}
{{- if hasKey $sa $field -}}
{{- include "vsyncer.vc.assign" (dict "s" $s "from" (printf "%s.%s" $sat $field) "to" (printf "syncer.serviceAccount.%s" $field) "value" (get $sa $field | default dict) "default" dict) -}}
{{- end -}}
{{- end -}}
{{- if hasKey $sa "imagePullSecrets" -}}
{{- include "vsyncer.vc.assign" (dict "s" $s "from" (printf "%s.imagePullSecrets" $sat) "to" "controlPlane.imagePullSecrets" "value" ($sa.imagePullSecrets | default list) "default" list) -}}
{{- end -}}
{{- end -}}
{{- if kindIs "map" $a -}}
{{- with $a.podDisruptionBudget -}}
{{- $pat := printf "%s.podDisruptionBudget" $at -}}
{{- include "vsyncer.vc.keys" (dict "s" $s "at" $pat "m" . "known" (list "enabled" "minAvailable" "maxUnavailable" "unhealthyPodEvictionPolicy")) -}}
{{- if and (kindIs "map" .) (eq (toString .enabled) "true") -}}
{{- $pdb := . -}}
{{- range $key, $default := dict "enabled" false "unhealthyPodEvictionPolicy" "" -}}
{{- if and (hasKey $pdb $key) (not (kindIs "invalid" (get $pdb $key))) -}}
{{- include "vsyncer.vc.assign" (dict "s" $s "from" (printf "%s.%s" $pat $key) "to" (printf "controlPlane.podDisruptionBudget.%s" $key) "value" (get $pdb $key) "default" $default) -}}
{{- end -}}
{{- end -}}
{{- /* A number or a percentage, unset by default (null): not vsyncer.vc.assign's kinds. */ -}}
{{- $own := $s.root.Values.controlPlane.podDisruptionBudget -}}
{{- range $key := list "minAvailable" "maxUnavailable" -}}
{{- $value := get $pdb $key -}}
{{- $now := get $own $key -}}
{{- if and (hasKey $pdb $key) (not (kindIs "invalid" $value)) -}}
{{- if or (kindIs "invalid" $now) (eq (toString $now) (toString $value)) -}}
{{- $_ := set $own $key $value -}}
{{- else -}}
{{- include "vsyncer.vc.problem" (dict "s" $s "text" (printf "%s.%s (%v) and controlPlane.podDisruptionBudget.%s (%v) are both set, to different things: set one" $pat $key $value $key $now)) -}}
{{- end -}}
{{- end -}}
{{- end -}}
{{- end -}}
{{- end -}}
{{- with $a.virtualScheduler -}}
{{- include "vsyncer.vc.keys" (dict "s" $s "at" (printf "%s.virtualScheduler" $at) "m" . "known" (list "enabled")) -}}
{{- /* Only true sets it: vCluster runs the scheduler when this or controlPlane.distro.k8s.scheduler is on. */ -}}
{{- if and (kindIs "map" .) (eq (toString .enabled) "true") -}}
{{- include "vsyncer.vc.assign" (dict "s" $s "from" (printf "%s.virtualScheduler.enabled" $at) "to" "syncer.virtualScheduler" "value" true "default" false) -}}
{{- end -}}
{{- end -}}
{{- with $a.workloadServiceAccount -}}
{{- $w := . -}}
{{- $wat := printf "%s.workloadServiceAccount" $at -}}
{{- include "vsyncer.vc.keys" (dict "s" $s "at" $wat "m" $w "known" (list "enabled" "name" "imagePullSecrets" "annotations" "labels")) -}}
{{- if kindIs "map" $w -}}
{{- if and (hasKey $w "enabled") (not $w.enabled) -}}
{{- include "vsyncer.vc.problem" (dict "s" $s "text" (printf "%s.enabled: the chart always makes the workload service account (or names yours: syncer.workloadServiceAccount); only true is accepted" $wat)) -}}
{{- end -}}
{{- with $w.name -}}
{{- include "vsyncer.vc.assign" (dict "s" $s "from" (printf "%s.name" $wat) "to" "syncer.workloadServiceAccount" "value" . "default" "") -}}
{{- end -}}
{{- if hasKey $w "imagePullSecrets" -}}
{{- include "vsyncer.vc.assign" (dict "s" $s "from" (printf "%s.imagePullSecrets" $wat) "to" "syncer.workloadImagePullSecrets" "value" ($w.imagePullSecrets | default list) "default" list) -}}
{{- end -}}
{{- range $field, $to := dict "annotations" "syncer.workloadServiceAccountAnnotations" "labels" "syncer.workloadServiceAccountLabels" -}}
{{- if hasKey $w $field -}}
{{- include "vsyncer.vc.assign" (dict "s" $s "from" (printf "%s.%s" $wat $field) "to" $to "value" (get $w $field | default dict) "default" dict) -}}
{{- end -}}
{{- end -}}
{{- end -}}
{{- end -}}
{{- end -}}
{{- end -}}
{{- end -}}


{{/*
Selects the control-plane pod. `release` is a key the syncer never copies from a tenant's pod (it is
stored hashed on the host), so no tenant pod in this namespace can join the virtual API Service.
*/}}
{{- define "vsyncer.selectorLabels" -}}
app.kubernetes.io/name: vsyncer
app.kubernetes.io/instance: {{ .Release.Name }}
release: {{ .Release.Name }}
{{- end -}}

{{/*
The API server certificate's extra names and addresses, one per line: controlPlane.proxy.extraSANs,
the ingress's hosts (its own rules' when given, else controlPlane.ingress.host), and
vanilla.apiServer.extraSANs (kept from before the common value). Each must be a DNS name (a `*.`
wildcard first label at most), an IPv4 address or an IPv6 address: k3s and the vanilla control
plane's certificate init container would otherwise refuse it at start, after the upgrade.
*/}}
{{- define "vsyncer.extraSANs" -}}
{{- $sans := concat (.Values.controlPlane.proxy.extraSANs | default list) (.Values.vanilla.apiServer.extraSANs | default list) -}}
{{- with .Values.controlPlane.ingress -}}
{{- if .enabled -}}
{{- $rules := (.spec | default dict).rules -}}
{{- if $rules -}}
{{- range $rules -}}{{- with .host -}}{{- $sans = append $sans . -}}{{- end -}}{{- end -}}
{{- else -}}
{{- $sans = append $sans (required "controlPlane.ingress.host is required with controlPlane.ingress.enabled" .host) -}}
{{- end -}}
{{- end -}}
{{- end -}}
{{- with .Values.controlPlane.tlsRoute -}}
{{- if .enabled -}}
{{- $hostnames := (.spec | default dict).hostnames -}}
{{- if $hostnames -}}
{{- $sans = concat $sans $hostnames -}}
{{- else -}}
{{- $sans = append $sans (required "controlPlane.tlsRoute.host is required with controlPlane.tlsRoute.enabled" .host) -}}
{{- end -}}
{{- end -}}
{{- end -}}
{{- range $sans | uniq -}}
{{- $san := toString . -}}
{{- if not (or (include "vsyncer.isIP" $san) (and (not (regexMatch "^[0-9.]+$" $san)) (regexMatch "^(\\*\\.)?[a-zA-Z0-9]([-a-zA-Z0-9]*[a-zA-Z0-9])?(\\.[a-zA-Z0-9]([-a-zA-Z0-9]*[a-zA-Z0-9])?)*$" $san))) -}}
{{- fail (printf "%q (of controlPlane.proxy.extraSANs, the ingress or TLSRoute hosts or vanilla.apiServer.extraSANs) is neither a DNS name nor an IP address" $san) -}}
{{- end }}
{{ $san }}
{{- end -}}
{{- end -}}

{{/* "<address> <port>" of `IP`, `IPv4:port` or `[IPv6]:port` (port 53 when none is given). */}}
{{- define "vsyncer.addressAndPort" -}}
{{- if regexMatch "^\\[[^]]*\\]:[0-9]{1,5}$" . -}}
{{- regexReplaceAll "^\\[([^]]*)\\]:([0-9]+)$" . "${1} ${2}" -}}
{{- else if regexMatch "^[0-9.]+:[0-9]{1,5}$" . -}}
{{- replace ":" " " . -}}
{{- else -}}
{{- . }} 53
{{- end -}}
{{- end -}}

{{/*
Whether a string is an IP address: four decimal octets, or IPv6 as Go and Node read it: eight groups
of 1-4 hex digits, or fewer around exactly one `::` (no embedded IPv4, no zone).
*/}}
{{- define "vsyncer.isIP" -}}
{{- $octet := "(25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])" -}}
{{- $groups := "^([0-9a-fA-F]{1,4}(:[0-9a-fA-F]{1,4})*)?$" -}}
{{- if regexMatch (printf "^(%s\\.){3}%s$" $octet $octet) . -}}true
{{- else if regexMatch "^[0-9a-fA-F]{1,4}(:[0-9a-fA-F]{1,4}){7}$" . -}}true
{{- else if eq (len (regexFindAll "::" . -1)) 1 -}}
{{- $sides := splitList "::" . -}}
{{- $count := 0 -}}
{{- range $sides -}}{{- if . -}}{{- $count = add $count (len (splitList ":" .)) -}}{{- end -}}{{- end -}}
{{- if and (regexMatch $groups (first $sides)) (regexMatch $groups (last $sides)) (le $count 7) -}}true{{- end -}}
{{- end -}}
{{- end -}}

{{/* The syncer's image (its tag defaults to the chart's appVersion); also the certificate init containers'. */}}
{{- define "vsyncer.syncerImage" -}}
{{- include "vsyncer.image" (dict "root" . "image" (printf "%s:%s" .Values.syncer.image.repository (.Values.syncer.image.tag | default .Chart.AppVersion | toString))) -}}
{{- end -}}

{{/*
An image of the chart's own (the control plane's, the syncer's, the CoreDNS and /etc/hosts images the
syncer deploys) from controlPlane.defaultImageRegistry when set, as vCluster's
controlPlane.advanced.defaultImageRegistry: its registry (a first part naming a host: a dot, a port or
localhost) replaced, Docker Hub's added to, so one private registry holding them all serves the
release. Tenants' images are not touched. Call with (dict "root" $ "image" ...).
*/}}
{{- define "vsyncer.image" -}}
{{- $registry := trimSuffix "/" (toString (.root.Values.controlPlane.defaultImageRegistry | default "")) -}}
{{- $image := toString .image -}}
{{- if and $registry $image -}}
{{- $parts := splitList "/" $image -}}
{{- $first := first $parts -}}
{{- if and (gt (len $parts) 1) (or (contains "." $first) (contains ":" $first) (eq $first "localhost")) -}}
{{- $image = join "/" (rest $parts) -}}
{{- end -}}
{{- printf "%s/%s" $registry $image -}}
{{- else -}}
{{- $image -}}
{{- end -}}
{{- end -}}

{{- define "vsyncer.workloadServiceAccount" -}}
{{- include "vsyncer.values" . -}}
{{- .Values.syncer.workloadServiceAccount | default (printf "vc-workload-%s" (include "vsyncer.name" .)) -}}
{{- end -}}

{{/* An exportKubeconfig.additionalSecrets entry's Secret name: with a namespace alone, vc-<name>, as vCluster names it. */}}
{{- define "vsyncer.additionalSecretName" -}}
{{- .entry.name | default (printf "vc-%s" (include "vsyncer.name" .root)) -}}
{{- end -}}

{{/* The kubeconfig Secrets in the release's namespace: vc-<name> and the additional ones there, as JSON. */}}
{{- define "vsyncer.kubeconfigSecretsHere" -}}
{{- include "vsyncer.values" . -}}
{{- $names := list (include "vsyncer.kubeconfigSecret" .) }}
{{- range .Values.exportKubeconfig.additionalSecrets }}
{{- if or (not .namespace) (eq .namespace $.Release.Namespace) }}{{ $names = append $names (include "vsyncer.additionalSecretName" (dict "root" $ "entry" .)) }}{{ end }}
{{- end }}
{{- $names | uniq | toJson }}
{{- end -}}

{{/* The Secret the syncer writes the tenant's kubeconfig to (vCluster's vc-<name>). */}}
{{- define "vsyncer.kubeconfigSecret" -}}
{{- include "vsyncer.values" . -}}
{{- .Values.exportKubeconfig.secret | default (printf "vc-%s" (include "vsyncer.name" .)) -}}
{{- end -}}

{{/* The host Service of the virtual API: what synced pods call, and (syncer.setOwner) what owns every synced object. */}}
{{- define "vsyncer.virtualApiService" -}}
{{- .Values.syncer.virtualApiService | default (include "vsyncer.name" .) -}}
{{- end -}}

{{- define "vsyncer.leaderElect" -}}
{{- if or .Values.syncer.leaderElect (gt (int .Values.syncer.replicas) 1) }}true{{ else }}false{{ end -}}
{{- end -}}

{{/*
The name of the release's cluster-scoped RBAC objects. Colons cannot occur in namespace or release
names, so no two releases share it (with dashes, namespace a-b's release c and namespace a's release
b-c would, and one's install would take the other's binding).
*/}}
{{- define "vsyncer.clusterRbacName" -}}
vsyncer:{{ .Release.Namespace }}:{{ include "vsyncer.name" . }}
{{- end -}}

{{/*
The host kubeconfig the syncer reads: the mounted syncer.hostKubeconfigSecret, syncer.hostKubeconfig,
or none (the pod's service account).
*/}}
{{- define "vsyncer.hostKubeconfig" -}}
{{- $secret := .Values.syncer.hostKubeconfigSecret -}}
{{- if $secret.name -}}
{{- if .Values.syncer.hostKubeconfig -}}
{{- fail "syncer.hostKubeconfig and syncer.hostKubeconfigSecret.name both name the host kubeconfig: set one" -}}
{{- end -}}
/etc/vsyncer/host-kubeconfig/{{ $secret.key }}
{{- else -}}
{{ .Values.syncer.hostKubeconfig }}
{{- end -}}
{{- end -}}

{{/*
The syncer's flags, one value each. Keep this the only place values become flags:
test/chart/flags.test.ts checks it against `vsyncer start --help`.
*/}}
{{- define "vsyncer.syncerArgs" -}}
{{- include "vsyncer.values" . -}}
- start
- {{ printf "--name=%v" (include "vsyncer.name" .) | quote }}
- {{ printf "--host-namespace=%v" .Release.Namespace | quote }}
- {{ printf "--host-kubeconfig=%v" (include "vsyncer.hostKubeconfig" .) | quote }}
- --virtual-kubeconfig=/data/kubeconfig/kube-config.yaml
{{- $_ := include "vsyncer.sync" . }}
{{- with .Values.syncer.sync }}
- {{ printf "--sync=%v" (join "," .) | quote }}
{{- end }}
- {{ printf "--sync-all-configmaps=%v" .Values.syncer.syncAllConfigMaps | quote }}
- {{ printf "--sync-all-secrets=%v" .Values.syncer.syncAllSecrets | quote }}
- {{ printf "--sync-real-nodes=%v" .Values.syncer.syncRealNodes | quote }}
- {{ printf "--enforce-node-selector=%v" .Values.syncer.enforceNodeSelector | quote }}
{{- with .Values.syncer.nodeSelector }}
- {{ printf "--node-selector=%v" . | quote }}
{{- end }}
- {{ printf "--host-qps=%v" .Values.syncer.hostQps | quote }}
- {{ printf "--host-burst=%v" .Values.syncer.hostBurst | quote }}
- {{ printf "--virtual-qps=%v" .Values.syncer.virtualQps | quote }}
- {{ printf "--virtual-burst=%v" .Values.syncer.virtualBurst | quote }}
- {{ printf "--request-timeout=%v" .Values.syncer.requestTimeout | quote }}
- {{ printf "--workers=%v" .Values.syncer.workers | quote }}
{{- if include "vsyncer.configFile" . }}
- --config=/etc/vsyncer/config/config.yaml
{{- end }}
- {{ printf "--log-level=%v" .Values.syncer.logLevel | quote }}
- {{ printf "--log-format=%v" .Values.syncer.logFormat | quote }}
- {{ printf "--metrics-bind-address=:%v" .Values.syncer.metricsPort | quote }}
- {{ printf "--api-proxy-port=%v" (int .Values.controlPlane.proxy.port) | quote }}
- {{ printf "--api-proxy-bind-address=%v" (.Values.controlPlane.proxy.bindAddress | default "0.0.0.0") | quote }}
{{- if .Values.syncer.kubelet.enabled }}
- {{ printf "--kubelet-bind-address=:%v" .Values.syncer.kubelet.port | quote }}
- --kubelet-advertise-address=$(POD_IP)
- --kubelet-tls-cert-file=/etc/vsyncer/serving/kubelet.crt
- --kubelet-tls-key-file=/etc/vsyncer/serving/kubelet.key
- --kubelet-client-ca-file=/etc/vsyncer/kubelet/ca.crt
- --kubelet-client-user=kube-apiserver-kubelet-client
{{- if ne (include "vsyncer.distro" .) "vanilla" }}
{{- /* k3s makes its CA itself, so the serving certificate is of the kubelet CA: pods are given it to
  trust (a metrics-server checks kubelets against its service account's ca.crt). */}}
- --extra-root-ca-file=/etc/vsyncer/kubelet/ca.crt
{{- end }}
{{- if .Values.syncer.kubelet.nodeStats }}
- {{ printf "--kubelet-node-ports=%v" .Values.syncer.kubelet.nodePorts | quote }}
- --kubelet-node-stats=true
{{- else }}
- --kubelet-node-ports=
- --kubelet-node-stats=false
{{- end }}
{{- else }}
- --kubelet-bind-address=0
{{- end }}
{{- if .Values.syncer.metricsServerProxy.enabled }}
{{- if not .Values.syncer.kubelet.enabled }}
{{- fail "syncer.metricsServerProxy.enabled needs syncer.kubelet.enabled: the metrics API serves TLS with the kubelet API's certificate" }}
{{- end }}
- --metrics-server-proxy=true
- --metrics-server-proxy-port=9001
{{- else }}
- --metrics-server-proxy=false
{{- end }}
- {{ printf "--leader-elect=%v" (include "vsyncer.leaderElect" .) | quote }}
- {{ printf "--leader-elect-lease-duration=%v" .Values.syncer.leaderElectLeaseDuration | quote }}
- {{ printf "--leader-elect-renew-deadline=%v" .Values.syncer.leaderElectRenewDeadline | quote }}
- {{ printf "--leader-elect-retry-period=%v" .Values.syncer.leaderElectRetryPeriod | quote }}
- --leader-elect-identity=$(POD_NAME)
- {{ printf "--cluster-domain=%v" .Values.k3s.clusterDomain | quote }}
{{- with .Values.syncer.clusterDnsIp }}
- {{ printf "--cluster-dns-ip=%v" . | quote }}
{{- end }}
{{- range $i, $entry := .Values.syncer.podDnsNameservers }}
{{- $svc := $entry.service | default dict }}
{{- $what := printf "syncer.podDnsNameservers[%d].service" $i }}
{{- if not (has ($svc.scope | default "") (list "control-plane-host" "tenant-cluster")) }}
{{- fail (printf "%s.scope must be control-plane-host or tenant-cluster" $what) }}
{{- end }}
{{- $selector := include "vsyncer.labelSelectorText" (dict "selector" $svc.labelSelector "what" (printf "%s.labelSelector" $what)) }}
{{- if not $selector }}
{{- fail (printf "%s.labelSelector must select something (matchLabels or matchExpressions)" $what) }}
{{- end }}
- {{ printf "--pod-dns-nameserver=%s:%s:%s" $svc.scope (required (printf "%s.namespace is required" $what) $svc.namespace) $selector | quote }}
{{- end }}
{{- if include "vsyncer.syncerCoredns" . }}
- {{ printf "--coredns-image=%v" (include "vsyncer.image" (dict "root" . "image" .Values.vanilla.coredns.image)) | quote }}
{{- else }}
- --coredns-image=
{{- end }}
{{- with include "vsyncer.fallbackHostDns" . }}
- {{ printf "--fallback-host-dns=%v" . | quote }}
{{- end }}
{{- $servesHosts := false }}
{{- range list "ingresses" "gateways" "httproutes" "grpcroutes" "tlsroutes" }}
{{- if include "vsyncer.kindOn" (dict "root" $ "kind" . "defaultOn" false) }}{{ $servesHosts = true }}{{ end }}
{{- end }}
{{- if $servesHosts }}
{{- /* The API server's names: no tenant Ingress, Gateway or route may claim them on a shared controller. */}}
{{- range splitList "\n" (include "vsyncer.extraSANs" .) | compact }}
{{- if not (include "vsyncer.isIP" .) }}
- {{ printf "--reserved-ingress-host=%v" . | quote }}
{{- end }}
{{- end }}
{{- end }}
{{- range .Values.syncer.allowedIngressHosts }}
- {{ printf "--allowed-ingress-host=%v" . | quote }}
{{- end }}
{{- range .Values.syncer.allowedServerUrls }}
- {{ printf "--allowed-server-url=%v" . | quote }}
{{- end }}
{{- if include "vsyncer.initManifests" . }}
- --init-manifests=/etc/vsyncer/init/manifests.yaml
- {{ printf "--init-manifests-generation=%v" (include "vsyncer.initManifestsGeneration" .) | quote }}
{{- end }}
- {{ printf "--virtual-api-service=%v" (include "vsyncer.virtualApiService" .) | quote }}
- {{ printf "--set-owner=%v" .Values.syncer.setOwner | quote }}
- {{ printf "--kubeconfig-secret=%v" (include "vsyncer.kubeconfigSecret" .) | quote }}
- {{ printf "--kubeconfig-secret-server=%v" .Values.exportKubeconfig.server | quote }}
{{- with .Values.exportKubeconfig.context }}
- {{ printf "--kubeconfig-secret-context=%v" . | quote }}
{{- end }}
- {{ printf "--kubeconfig-secret-insecure=%v" .Values.exportKubeconfig.insecure | quote }}
{{- with .Values.exportKubeconfig.serviceAccount }}
{{- if .name }}
- {{ printf "--kubeconfig-secret-service-account=%s" (include "vsyncer.exportServiceAccount" .) | quote }}
{{- with .clusterRole }}
- {{ printf "--kubeconfig-secret-service-account-cluster-role=%v" . | quote }}
{{- end }}
{{- else if .clusterRole }}
{{- fail "exportKubeconfig.serviceAccount.clusterRole is bound to serviceAccount.name, which is not given" }}
{{- end }}
{{- end }}
{{- $exported := list (printf "%s/%s" .Release.Namespace (include "vsyncer.kubeconfigSecret" .)) }}
{{- range .Values.exportKubeconfig.additionalSecrets }}
{{- if not (or .name .namespace) }}{{ fail "exportKubeconfig.additionalSecrets: each entry needs a name, a namespace or both" }}{{ end }}
{{- $name := include "vsyncer.additionalSecretName" (dict "root" $ "entry" .) }}
{{- $fields := list $name .namespace .server .context }}
{{- if kindIs "map" .serviceAccount }}{{- $fields = concat $fields (list .serviceAccount.name .serviceAccount.namespace .serviceAccount.clusterRole) }}{{- end }}
{{- range $fields }}{{- if contains ";" (toString .) }}{{ fail (printf "exportKubeconfig.additionalSecrets: %q holds a ';', which separates the parts of --kubeconfig-additional-secret" (toString .)) }}{{ end }}{{- end }}
{{- $target := printf "%s/%s" (.namespace | default $.Release.Namespace) $name }}
{{- if has $target $exported }}{{ fail (printf "exportKubeconfig.additionalSecrets: Secret %s is exported already (exportKubeconfig.secret or another entry); give each export its own Secret (set exportKubeconfig.server to change the main one's server)" $target) }}{{ end }}
{{- $exported = append $exported $target }}
{{- $account := "" }}
{{- with .serviceAccount }}
{{- if .name }}
{{- $account = printf ";serviceAccount=%s%s" (include "vsyncer.exportServiceAccount" .) (.clusterRole | empty | ternary "" (printf ";clusterRole=%s" .clusterRole)) }}
{{- else if .clusterRole }}
{{- fail "exportKubeconfig.additionalSecrets: serviceAccount.clusterRole is bound to serviceAccount.name, which is not given" }}
{{- end }}
{{- end }}
- {{ printf "--kubeconfig-additional-secret=name=%s%s%s%s%s%s" $name (.namespace | empty | ternary "" (printf ";namespace=%s" .namespace)) (.server | empty | ternary "" (printf ";server=%s" .server)) (.context | empty | ternary "" (printf ";context=%s" .context)) (ternary ";insecure=true" "" (eq (toString .insecure) "true")) $account | quote }}
{{- end }}
- {{ printf "--workload-service-account=%v" (include "vsyncer.workloadServiceAccount" .) | quote }}
{{- range .Values.syncer.enforceTolerations }}
- {{ printf "--enforce-toleration=%v" (include "vsyncer.enforceToleration" .) | quote }}
{{- end }}
- {{ printf "--hosts-rewrite-image=%v" (include "vsyncer.image" (dict "root" . "image" .Values.syncer.hostsRewriteImage)) | quote }}
- {{ printf "--pod-security-standard=%v" .Values.syncer.podSecurityStandard | quote }}
- {{ printf "--namespace-pod-security-label=%v" (or .Values.syncer.namespacePodSecurityLabel .Values.isolation.enabled) | quote }}
- {{ printf "--allow-node-name=%v" .Values.syncer.allowNodeName | quote }}
- {{ printf "--virtual-scheduler=%v" .Values.syncer.virtualScheduler | quote }}
{{- range .Values.syncer.allowedSchedulers }}
- {{ printf "--allowed-scheduler=%v" . | quote }}
{{- end }}
{{- range .Values.syncer.allowedSigners }}
- {{ printf "--allowed-signer=%v" . | quote }}
{{- end }}
{{- range .Values.syncer.allowedInlineCsiDrivers }}
- {{ printf "--allowed-inline-csi-driver=%v" . | quote }}
{{- end }}
{{- range .Values.syncer.allowedInlineVolumeSources }}
- {{ printf "--allowed-inline-volume-source=%v" . | quote }}
{{- end }}
{{- range .Values.syncer.deniedPodMetadata }}
- {{ printf "--denied-pod-metadata=%v" . | quote }}
{{- end }}
{{- range .Values.syncer.reservedContainerNames }}
- {{ printf "--reserved-container-name=%v" . | quote }}
{{- end }}
{{- range .Values.syncer.deniedHostMetadata }}
- {{ printf "--denied-host-metadata=%v" . | quote }}
{{- end }}
- {{ printf "--tenant-overrides-host-metadata=%v" .Values.syncer.tenantOverridesHostMetadata | quote }}
- {{ printf "--priority-class-max-value=%v" (.Values.syncer.priorityClassMaxValue | int64) | quote }}
{{- range .Values.syncer.deniedServiceAccountAnnotations }}
- {{ printf "--denied-service-account-annotation=%v" . | quote }}
{{- end }}
{{- range (include "vsyncer.workloadImagePullSecrets" . | fromJsonArray) }}
- {{ printf "--workload-image-pull-secret=%v" . | quote }}
{{- end }}
{{- with include "vsyncer.workloadImagePullSecretSelector" . }}
- {{ printf "--workload-image-pull-secret-selector=%s" . | quote }}
{{- end }}
{{- range $classes, $kind := dict "storageClasses" "host-storageclasses" "ingressClasses" "host-ingressclasses" "priorityClasses" "host-priorityclasses" "runtimeClasses" "host-runtimeclasses" "gatewayClasses" "host-gatewayclasses" "deviceClasses" "host-deviceclasses" }}
{{- with include "vsyncer.labelSelectorText" (dict "selector" (get ($.Values.syncer.hostClassSelectors | default dict) $classes) "what" (printf "syncer.hostClassSelectors.%s" $classes)) }}
- {{ printf "--%s-selector=%s" $kind . | quote }}
{{- end }}
{{- end }}
{{- range .Values.syncer.allowedPvSources }}
- {{ printf "--allowed-pv-source=%v" . | quote }}
{{- end }}
{{- with .Values.syncer.enforceRuntimeClass }}
- {{ printf "--enforce-runtime-class=%v" . | quote }}
{{- end }}
{{- with .Values.syncer.enforcePriorityClass }}
- {{ printf "--enforce-priority-class=%v" . | quote }}
{{- end }}
{{- if and .Values.syncer.podTokenSecrets (ne (toString .Values.syncer.podTokenSecrets) "bundled") }}
- {{ printf "--pod-token-secrets=%v" .Values.syncer.podTokenSecrets | quote }}
{{- end }}
{{- range .Values.syncer.mapHostServices }}
- {{ printf "--map-host-service=%v" . | quote }}
{{- end }}
{{- range .Values.syncer.mapVirtualServices }}
- {{ printf "--map-virtual-service=%v" . | quote }}
{{- end }}
{{- range $host, $virtual := .Values.syncer.mapHostConfigMaps }}
- {{ printf "--map-host-configmap=%v=%v" $host $virtual | quote }}
{{- end }}
{{- range $host, $virtual := .Values.syncer.mapHostSecrets }}
{{- if has (trim $host) (list "" "/*" (printf "%s/*" $.Release.Namespace)) }}
{{- fail (printf "syncer.mapHostSecrets (vCluster's sync.fromHost.secrets.mappings.byName) %q: the release's own namespace holds the control plane's Secrets (its certificates and tokens), so its Secrets are mapped one by one (\"/<name>\": \"<namespace>/<name>\")" $host) }}
{{- end }}
- {{ printf "--map-host-secret=%v=%v" $host $virtual | quote }}
{{- end }}
{{- range $virtual, $host := .Values.syncer.translateImage }}
- {{ printf "--translate-image=%v=%v" $virtual $host | quote }}
{{- end }}
{{- range .Values.syncer.allowedStorageProvisioners }}
- {{ printf "--allowed-storage-provisioner=%v" . | quote }}
{{- end }}
- {{ printf "--allow-retain-storage-class=%v" .Values.syncer.allowRetainStorageClass | quote }}
{{- range .Values.syncer.deniedEndpointCidrs }}
- {{ printf "--denied-endpoint-cidr=%v" . | quote }}
{{- end }}
{{- range .Values.syncer.allowedEndpointCidrs }}
- {{ printf "--allowed-endpoint-cidr=%v" . | quote }}
{{- end }}
{{- if include "vsyncer.isolationOn" (dict "root" . "object" "networkPolicy") }}
{{- /* The isolation NetworkPolicy's egress limit, which tenant NetworkPolicies (kind networkpolicies) must not widen. */}}
- {{ printf "--tenant-public-egress=%t" .Values.isolation.networkPolicy.publicEgress | quote }}
{{- if .Values.isolation.networkPolicy.publicEgress }}
- {{ printf "--tenant-egress-cidr=%v" .Values.isolation.networkPolicy.outgoingCIDR | quote }}
{{- range .Values.isolation.networkPolicy.exceptCIDRs }}
- {{ printf "--tenant-egress-except-cidr=%v" . | quote }}
{{- end }}
{{- end }}
{{- end }}
- {{ printf "--shutdown-timeout=%v" .Values.syncer.shutdownTimeout | quote }}
{{- end -}}

{{/*
Whether the syncer deploys the virtual cluster's CoreDNS: on the vanilla control plane (unless
vanilla.coredns.enabled is false), and with k3s when the host DNS fallback is on (k3s's own Corefile,
rewritten by k3s at every start, cannot fall through to the host: k3s's CoreDNS is turned off).
*/}}
{{- define "vsyncer.syncerCoredns" -}}
{{- $vanilla := eq (include "vsyncer.distro" .) "vanilla" -}}
{{- $fallback := include "vsyncer.fallbackHostDns" . -}}
{{- if and $vanilla $fallback (not .Values.vanilla.coredns.enabled) -}}
{{- fail "syncer.fallbackHostDns needs vanilla.coredns.enabled: the syncer writes the Corefile only of the CoreDNS it deploys" -}}
{{- end -}}
{{- if or (and $vanilla .Values.vanilla.coredns.enabled) (and (not $vanilla) $fallback) -}}
true
{{- end -}}
{{- end -}}

{{/*
syncer.fallbackHostDns as the flag takes it: "" (off), auto (true, vCluster's fallbackHostCluster, is
auto too), or an IP[:port] ([IPv6]:port). Checked here, since turning k3s's CoreDNS off for a value
the syncer then refuses would leave the virtual cluster without DNS.
*/}}
{{- define "vsyncer.fallbackHostDns" -}}
{{- $v := .Values.syncer.fallbackHostDns -}}
{{- if kindIs "bool" $v -}}
{{- if $v }}auto{{ end -}}
{{- else if $v -}}
{{- $v = toString $v -}}
{{- $target := include "vsyncer.addressAndPort" $v | splitList " " -}}
{{- $port := atoi (last $target) -}}
{{- if not (or (eq $v "auto") (and (include "vsyncer.isIP" (first $target)) (ge $port 1) (le $port 65535))) -}}
{{- fail (printf "syncer.fallbackHostDns must be auto, true, an IP address or IP:port ([IPv6]:port), not %q" $v) -}}
{{- end -}}
{{- $v -}}
{{- end -}}
{{- end -}}

{{/*
An entry of syncer.enforceTolerations as --enforce-toleration reads it (parseToleration in
src/translators/shared/tolerations.ts): a string as written, or a pod toleration {key, operator,
value, effect} as vCluster's docs write them: Equal (the default operator) is `key=value[:Effect]`,
Exists with a key and an effect `key:Effect`, with an effect only `:Effect`, with neither `*`. The
flag has no form for Exists with a key only, nor for tolerationSeconds: those are refused rather than
widened or narrowed. Either form must pass the syncer's own check, so a bad one fails here, not at start.
*/}}
{{- define "vsyncer.enforceToleration" -}}
{{- $text := "" -}}
{{- if kindIs "map" . -}}
{{- $t := . -}}
{{- $what := printf "syncer.enforceTolerations: %s" (toJson $t) -}}
{{- if hasKey $t "tolerationSeconds" -}}
{{- fail (printf "%s: tolerationSeconds cannot be enforced (--enforce-toleration has no form for it)" $what) -}}
{{- end -}}
{{- $key := $t.key | default "" -}}
{{- $effect := $t.effect | default "" -}}
{{- $suffix := ternary (printf ":%s" $effect) "" (ne $effect "") -}}
{{- if eq ($t.operator | default "Equal") "Exists" -}}
{{- if hasKey $t "value" -}}{{- if $t.value -}}
{{- fail (printf "%s: operator Exists takes no value" $what) -}}
{{- end -}}{{- end -}}
{{- if and (not $key) (not $effect) -}}
{{- $text = "*" -}}
{{- else if $effect -}}
{{- $text = printf "%s%s" $key $suffix -}}
{{- else -}}
{{- fail (printf "%s: operator Exists with a key needs an effect (--enforce-toleration has no form for a key alone); with neither it is every taint" $what) -}}
{{- end -}}
{{- else -}}
{{- if not $key -}}
{{- fail (printf "%s: operator Equal needs a key" $what) -}}
{{- end -}}
{{- $text = printf "%s=%s%s" $key ($t.value | default "") $suffix -}}
{{- end -}}
{{- else -}}
{{- $text = toString . -}}
{{- end -}}
{{- if not (regexMatch "^(\\*|:(NoSchedule|PreferNoSchedule|NoExecute)|[A-Za-z0-9]([-A-Za-z0-9_./]*[A-Za-z0-9])?(=[A-Za-z0-9._-]*)?(:(NoSchedule|PreferNoSchedule|NoExecute))?)$" $text) -}}
{{- fail (printf "syncer.enforceTolerations: %q is not a toleration --enforce-toleration takes: key[=value][:NoSchedule|PreferNoSchedule|NoExecute], :NoSchedule|PreferNoSchedule|NoExecute, *, or {key, operator, value, effect}" $text) -}}
{{- end -}}
{{- $text -}}
{{- end -}}

{{- define "vsyncer.distroMapProblem" -}}
controlPlane.distro is a name here, k3s or vanilla: vCluster's controlPlane.distro.k8s is controlPlane.distro=vanilla, its controlPlane.distro.k3s is k3s
{{- end -}}

{{/*
Labels or annotations of the user's (`extra`, from value `at`) beside the chart's own (`ours`, YAML):
one of the chart's keys is refused, since the chart's selects the pod or is read back by the chart.
Call with (dict "at" ... "extra" map "ours" yaml).
*/}}
{{- define "vsyncer.extraMetadata" -}}
{{- $ours := .ours | fromYaml -}}
{{- $extra := .extra | default dict -}}
{{- if not (kindIs "map" $extra) -}}
{{- fail (printf "%s must be a map of strings" .at) -}}
{{- end -}}
{{- range $key := keys $extra | sortAlpha -}}
{{- if hasKey $ours $key -}}
{{- fail (printf "%s.%s is the chart's own key on that object: choose another" $.at $key) -}}
{{- end -}}
{{- if not (kindIs "string" (get $extra $key)) -}}
{{- fail (printf "%s.%s must be a string, not %s (quote it in YAML, which reads 12345 as a number and true as a boolean; with --set, use --set-string)" $.at $key (toJson (get $extra $key))) -}}
{{- end -}}
{{- end -}}
{{- $lines := list -}}
{{- range $key := keys $extra | sortAlpha -}}
{{- $lines = append $lines (printf "%s: %s" (quote $key) (get $extra $key | toString | quote)) -}}
{{- end -}}
{{- join "\n" $lines -}}
{{- end -}}

{{/*
Fails when the API passthrough's port (controlPlane.proxy.port) is one another listener of the
control-plane pod holds, or a port the unprivileged syncer cannot take. Call with (dict "root" $ "distro" ...).
*/}}
{{- define "vsyncer.checkProxyPort" -}}
{{- $root := .root }}
{{- with $proxy := int (.root.Values.controlPlane.proxy.port | default 0) }}
{{- $why := "set controlPlane.proxy.port to another port, or 0 for none (its default, 8443, is vCluster's)" }}
{{- if lt $proxy 1024 }}
{{- fail (printf "controlPlane.proxy.port %d: the syncer runs unprivileged and cannot listen below 1024; %s" $proxy $why) }}
{{- end }}
{{- $taken := dict "6443" "the API server" "6444" "k3s's API server" "10257" "the controller manager" "10259" "the scheduler" (toString $root.Values.syncer.metricsPort) "syncer.metricsPort" }}
{{- if and (eq $.distro "vanilla") (not $.root.Values.deployedEtcd.enabled) }}{{ $_ := merge $taken (dict "2379" "etcd" "2380" "etcd" "2381" "etcd's metrics") }}{{ end }}
{{- if $root.Values.syncer.kubelet.enabled }}{{ $_ := set $taken (toString $root.Values.syncer.kubelet.port) "syncer.kubelet.port" }}{{ end }}
{{- if $root.Values.syncer.metricsServerProxy.enabled }}{{ $_ := set $taken "9001" "the metrics API (syncer.metricsServerProxy)" }}{{ end }}
{{- with get $taken (toString $proxy) }}
{{- fail (printf "controlPlane.proxy.port %d is taken in the control-plane pod by %s: %s" $proxy . $why) }}
{{- end }}
{{- if and $root.Values.syncer.kubelet.enabled $root.Values.syncer.kubelet.nodeStats }}
{{- $range := splitList "-" (toString $root.Values.syncer.kubelet.nodePorts) }}
{{- if and (eq (len $range) 2) (ge $proxy (atoi (first $range))) (le $proxy (atoi (last $range))) }}
{{- fail (printf "controlPlane.proxy.port %d is in syncer.kubelet.nodePorts (%s): %s" $proxy $root.Values.syncer.kubelet.nodePorts $why) }}
{{- end }}
{{- end }}
{{- end }}
{{- end -}}

{{/* k3s (the default) or vanilla: which virtual control plane runs beside the syncer. */}}
{{- define "vsyncer.distro" -}}
{{- include "vsyncer.values" . -}}
{{- if kindIs "map" .Values.controlPlane.distro -}}
{{- fail (include "vsyncer.distroMapProblem" .) -}}
{{- end -}}
{{- $d := .Values.controlPlane.distro | default "k3s" -}}
{{- if not (has $d (list "k3s" "vanilla")) -}}
{{- fail (printf "controlPlane.distro must be k3s or vanilla, not %q" $d) -}}
{{- end -}}
{{- $d -}}
{{- end -}}

{{/* A kubeconfig for a client in the pod: the API server on loopback, a bearer token. */}}
{{- define "vsyncer.tokenKubeconfig" -}}
apiVersion: v1
kind: Config
clusters:
  - name: virtual
    cluster:
      server: https://127.0.0.1:6443
      certificate-authority-data: {{ .ca | b64enc }}
users:
  - name: {{ .user }}
    user:
      token: {{ .token }}
contexts:
  - name: virtual
    context: {cluster: virtual, user: {{ .user }}}
current-context: virtual
{{- end -}}

{{/*
The init manifests the syncer applies: initManifests as written, then initManifestsTemplate rendered
as a template of this chart (vCluster's manifestsTemplate: {{ .Release.Name }} and the values).
Empty when neither is set.
*/}}
{{- define "vsyncer.initManifests" -}}
{{- include "vsyncer.values" . -}}
{{- $parts := list -}}
{{- with .Values.initManifests }}{{ $parts = append $parts . }}{{ end -}}
{{- with .Values.initManifestsTemplate }}{{ $parts = append $parts (tpl . $) }}{{ end -}}
{{- /* vCluster's experimental.deploy.vcluster.manifestsTemplate, rendered with its values (vsyncer.vc.topLevel). */ -}}
{{- with get .Values "_vclusterManifests" }}{{ $parts = append $parts . }}{{ end -}}
{{- join "\n---\n" $parts -}}
{{- end -}}

{{/*
The init manifests' generation (--init-manifests-generation), which the syncer wants increasing: it
never applies manifests of a generation lower than the one it recorded as applied. The release
revision that last changed them: kept from the ConfigMap <release>-init-manifests while its checksum
annotation matches (Helm's lookup), so an upgrade that leaves them as they are changes neither the
flag nor the pod template, and does not restart the control plane; otherwise this revision, higher
than any before. Without a cluster to look in (helm template, GitOps renderers) it is the revision.
*/}}
{{- define "vsyncer.initManifestsGeneration" -}}
{{- $generation := toString .Release.Revision -}}
{{- $sum := include "vsyncer.initManifests" . | sha256sum -}}
{{- with lookup "v1" "ConfigMap" .Release.Namespace (printf "%s-init-manifests" (include "vsyncer.name" .)) -}}
{{- $annotations := .metadata.annotations | default dict -}}
{{- $was := index $annotations "vsyncer.dev/init-manifests-generation" | default "" -}}
{{- if and (eq (index $annotations "vsyncer.dev/init-manifests-checksum" | default "") $sum) (regexMatch "^[1-9][0-9]{0,9}$" $was) -}}
{{- $generation = $was -}}
{{- end -}}
{{- end -}}
{{- $generation -}}
{{- end -}}

{{/* syncer.workloadImagePullSecrets as names (entries may be names or vCluster's {name: ...}), as a JSON list. */}}
{{- define "vsyncer.workloadImagePullSecrets" -}}
{{- include "vsyncer.values" . -}}
{{- $names := list -}}
{{- range .Values.syncer.workloadImagePullSecrets -}}
{{- if kindIs "map" . -}}
{{- $names = append $names .name -}}
{{- else -}}
{{- $names = append $names . -}}
{{- end -}}
{{- end -}}
{{- toJson $names -}}
{{- end -}}

{{/*
A label selector of vCluster's shape (matchLabels, matchExpressions) in kubectl's syntax, as the
syncer's selector flags take it; "" when it has no requirement. `what` names the value in errors.
Call with (dict "selector" ... "what" ...).
*/}}
{{- define "vsyncer.labelSelectorText" -}}
{{- $sel := .selector | default dict -}}
{{- $what := .what -}}
{{- $terms := list -}}
{{- range $k, $v := ($sel.matchLabels | default dict) -}}
{{- if not (or (kindIs "string" $v) (kindIs "bool" $v)) -}}
{{- fail (printf "%s: the value of matchLabels %q must be a string (quote it: YAML reads 1.10 as the number 1.1)" $what $k) -}}
{{- end -}}
{{- $terms = append $terms (printf "%s=%v" $k $v) -}}
{{- end -}}
{{- range ($sel.matchExpressions | default list) -}}
{{- range (.values | default list) -}}
{{- if not (or (kindIs "string" .) (kindIs "bool" .)) -}}
{{- fail (printf "%s: matchExpressions values must be strings (quote them)" $what) -}}
{{- end -}}
{{- end -}}
{{- if eq .operator "In" -}}
{{- $terms = append $terms (printf "%s in (%s)" .key (join "," .values)) -}}
{{- else if eq .operator "NotIn" -}}
{{- $terms = append $terms (printf "%s notin (%s)" .key (join "," .values)) -}}
{{- else if eq .operator "Exists" -}}
{{- $terms = append $terms .key -}}
{{- else if eq .operator "DoesNotExist" -}}
{{- $terms = append $terms (printf "!%s" .key) -}}
{{- else -}}
{{- fail (printf "%s: operator %q is not In, NotIn, Exists or DoesNotExist" $what .operator) -}}
{{- end -}}
{{- end -}}
{{- join "," $terms -}}
{{- end -}}

{{/*
syncer.workloadImagePullSecretSelector (vCluster's imagePullSecretSelector) for its flag: "" when
unset (no account), "*" for an empty matchLabels (every account, as vCluster reads it).
*/}}
{{- define "vsyncer.workloadImagePullSecretSelector" -}}
{{- $sel := .Values.syncer.workloadImagePullSecretSelector | default dict -}}
{{- $text := include "vsyncer.labelSelectorText" (dict "selector" $sel "what" "syncer.workloadImagePullSecretSelector") -}}
{{- if $text -}}
{{- $text -}}
{{- else if hasKey $sel "matchLabels" -}}
*
{{- end -}}
{{- end -}}

{{/*
syncer.sync as the syncer reads --sync, as a JSON list for vsyncer.kindOn (_kind-rbac.tpl), the one
place the chart asks whether a kind is on: each entry split on commas and trimmed; `*` turns every
kind on, `kind` or `+kind` turns one on, `-kind` off; vCluster v0.19's names (vsyncer.syncAliases)
are read as the kinds they name; the last mention of a kind decides (`-ingresses,ingresses`: on). The
list holds `*` when given, then each kind named after it once, as `kind` or `-kind`.
*/}}
{{- define "vsyncer.sync" -}}
{{- include "vsyncer.values" . -}}
{{- include "vsyncer.parseSync" . -}}
{{- end -}}

{{/* vsyncer.sync of .Values as they are (vsyncer.values reads syncer.sync before it merges vCluster's kinds). */}}
{{- define "vsyncer.parseSync" -}}
{{- $entries := .Values.syncer.sync | default list -}}
{{- if not (kindIs "slice" $entries) -}}
{{- fail (printf "syncer.sync must be a list of kinds, such as [ingresses, -events] (--set 'syncer.sync={ingresses,-events}' or --set 'syncer.sync[0]=ingresses'), not the %s %q" (kindOf $entries) (toString $entries)) -}}
{{- end -}}
{{- $aliases := include "vsyncer.syncAliases" . | fromJson -}}
{{- $star := false -}}
{{- $last := dict -}}
{{- range $entries -}}
{{- if not (kindIs "string" .) -}}
{{- fail (printf "syncer.sync: each entry must be a string of kind names, not the %s %v" (kindOf .) .) -}}
{{- end -}}
{{- range splitList "," . -}}
{{- $item := trim . -}}
{{- if eq $item "*" -}}
{{- $star = true -}}
{{- $last = dict -}}
{{- else if $item -}}
{{- $name := regexReplaceAll "^[+-]" $item "" -}}
{{- if or (not $name) (contains "*" $name) (regexMatch "^[+-]" $name) -}}
{{- fail (printf "syncer.sync: %q is not a kind (\"*\" turns every kind on, \"kind\" or \"+kind\" one, \"-kind\" turns one off)" $item) -}}
{{- end -}}
{{- $_ := set $last (get $aliases $name | default $name) (not (hasPrefix "-" $item)) -}}
{{- end -}}
{{- end -}}
{{- end -}}
{{- $out := ternary (list "*") (list) $star -}}
{{- range $kind, $on := $last -}}
{{- $out = append $out (ternary $kind (printf "-%s" $kind) $on) -}}
{{- end -}}
{{- toJson $out -}}
{{- end -}}

{{/*
syncer.config as the syncer's --config file ("" when empty). Flags override the file, and the chart
renders every setting that has a flag from a value of its own (and derives RBAC from those values:
`sync` in the file would turn on kinds the Role does not cover, and the syncer would start none), so
only what no flag sets passes through: customResources, integrations (certManager and
externalSecrets only, checked by vsyncer.integrations, which the RBAC follows) and hostGateways (the
host Gateways the host-gateways kind shows; the RBAC reads their namespaces). Any other key is
refused, naming the value to set instead.
*/}}
{{- define "vsyncer.configFile" -}}
{{- include "vsyncer.values" . -}}
{{- $config := .Values.syncer.config | default dict -}}
{{- if not (kindIs "map" $config) -}}
{{- fail (printf "syncer.config must be a map (the syncer's config file: customResources, integrations, hostGateways), not the %s %q" (kindOf $config) (toString $config)) -}}
{{- end -}}
{{- $instead := include "vsyncer.configKeyValues" . | fromYaml -}}
{{- $problems := list -}}
{{- range $key := keys $config | sortAlpha -}}
{{- if not (has $key (list "customResources" "integrations" "hostGateways")) -}}
{{- $flag := regexReplaceAll "([A-Z])" $key "-${1}" | lower -}}
{{- $use := get $instead $key -}}
{{- if hasPrefix "(" $use -}}
{{- $problems = append $problems (printf "syncer.config.%s (--%s) is set by the chart %s" $key $flag $use) -}}
{{- else if $use -}}
{{- $problems = append $problems (printf "syncer.config.%s (--%s): set %s instead" $key $flag $use) -}}
{{- else if hasKey $.Values.syncer $key -}}
{{- $problems = append $problems (printf "syncer.config.%s: set syncer.%s instead" $key $key) -}}
{{- else -}}
{{- $problems = append $problems (printf "syncer.config.%s is not a setting of the syncer's config file" $key) -}}
{{- end -}}
{{- end -}}
{{- end -}}
{{- with $problems -}}
{{- fail (printf "syncer.config takes only customResources, integrations and hostGateways: the chart passes every other setting as a flag from a value of its own, and flags override the config file: %s" (join "; " .)) -}}
{{- end -}}
{{- $_ := include "vsyncer.integrations" . -}}
{{- if $config -}}
{{- toYaml $config -}}
{{- end -}}
{{- end -}}

{{/*
The integrations of vCluster's that the syncer's config file takes
(src/translators/custom-resources/integrations.ts), each with why it needs the secrets kind and the
resources its parts sync (<plural>.<group>: the part), which customResources may not configure too.
Each has its vsyncer.<name>Problems and vsyncer.<name>Parts.
*/}}
{{- define "vsyncer.integrationsOffered" -}}
certManager:
  secrets: "it carries the Secrets an Issuer names to the host and each Certificate's issued Secret back to the tenant"
  resources:
    certificates.cert-manager.io: certificates
    issuers.cert-manager.io: issuers
    clusterissuers.cert-manager.io: clusterIssuers
externalSecrets:
  secrets: "it carries the Secrets a SecretStore or an ExternalSecret's template names to the host and each ExternalSecret's target Secret, which the host's External Secrets Operator fills, back to the tenant"
  resources:
    externalsecrets.external-secrets.io: externalSecrets
    secretstores.external-secrets.io: stores
    clustersecretstores.external-secrets.io: clusterStores
{{- end -}}

{{/*
vCluster's integrations.certManager, the keys it has and the kind of each value (a map: its keys),
as the syncer's config file takes it (src/translators/custom-resources/integrations.ts).
*/}}
{{- define "vsyncer.certManagerSchema" -}}
enabled: bool
sync:
  toHost:
    certificates: {enabled: bool}
    issuers: {enabled: bool}
  fromHost:
    clusterIssuers:
      enabled: bool
      selector: {labels: labels}
{{- end -}}

{{/*
vCluster's integrations.externalSecrets, as vsyncer.certManagerSchema, in either of vCluster's forms
(src/translators/custom-resources/external-secrets.ts): the current one (sync.toHost.externalSecrets
and stores, sync.fromHost.clusterStores, selectors of matchLabels) or the one before vCluster v0.25
(sync.externalSecrets, stores and clusterStores, a ClusterSecretStore selector of labels). The syncer
takes one form, not both (vsyncer.externalSecretsProblems).
*/}}
{{- define "vsyncer.externalSecretsSchema" -}}
enabled: bool
version: string
webhook: {enabled: bool}
sync:
  toHost:
    externalSecrets:
      selector: {matchLabels: labels, matchExpressions: list}
    stores:
      enabled: bool
      selector: {matchLabels: labels, matchExpressions: list}
  fromHost:
    clusterStores:
      enabled: bool
      selector: {matchLabels: labels, matchExpressions: list}
  externalSecrets: {enabled: bool}
  stores: {enabled: bool}
  clusterStores:
    enabled: bool
    selector: {labels: labels}
{{- end -}}

{{/*
Checks value `m` against `schema` (an integration's: vsyncer.certManagerSchema,
vsyncer.externalSecretsSchema, or part of one) at path `at`, adding each problem to `out.problems`:
a key the schema has not (`unknown` says why), a switch that is not true or false, a string or a
list that is not one, a label value that is not a string. Absent and null values are at their
defaults.
Call with (dict "m" ... "schema" ... "at" ... "unknown" ... "out" (dict "problems" list)).
*/}}
{{- define "vsyncer.integrationWalk" -}}
{{- $c := . -}}
{{- $type := ternary "map" (toString $c.schema) (kindIs "map" $c.schema) -}}
{{- if kindIs "invalid" $c.m -}}
{{- /* Absent or null: the default. */ -}}
{{- else if eq $type "bool" -}}
{{- if not (kindIs "bool" $c.m) -}}
{{- $_ := set $c.out "problems" (append $c.out.problems (printf "%s must be true or false, not %s" $c.at (toJson $c.m))) -}}
{{- end -}}
{{- else if eq $type "string" -}}
{{- if not (kindIs "string" $c.m) -}}
{{- $_ := set $c.out "problems" (append $c.out.problems (printf "%s must be a string, not %s" $c.at (toJson $c.m))) -}}
{{- end -}}
{{- else if eq $type "list" -}}
{{- if not (kindIs "slice" $c.m) -}}
{{- $_ := set $c.out "problems" (append $c.out.problems (printf "%s must be a list, as in vCluster's values" $c.at)) -}}
{{- end -}}
{{- else if not (kindIs "map" $c.m) -}}
{{- $_ := set $c.out "problems" (append $c.out.problems (printf "%s must be a map, as in vCluster's values" $c.at)) -}}
{{- else if eq $type "labels" -}}
{{- range $k := keys $c.m | sortAlpha -}}
{{- if not (kindIs "string" (get $c.m $k)) -}}
{{- $_ := set $c.out "problems" (append $c.out.problems (printf "%s: the value of %q must be a string (quote it: YAML reads 1.10 as the number 1.1)" $c.at $k)) -}}
{{- end -}}
{{- end -}}
{{- else -}}
{{- range $key := keys $c.m | sortAlpha -}}
{{- if hasKey $c.schema $key -}}
{{- include "vsyncer.integrationWalk" (dict "m" (get $c.m $key) "schema" (get $c.schema $key) "at" (printf "%s.%s" $c.at $key) "unknown" $c.unknown "out" $c.out) -}}
{{- else -}}
{{- $_ := set $c.out "problems" (append $c.out.problems (printf "%s.%s: %s" $c.at $key $c.unknown)) -}}
{{- end -}}
{{- end -}}
{{- end -}}
{{- end -}}

{{/*
The problems of an integrations.certManager section `m` (vCluster's keys, at path `at`), as a JSON
list: vsyncer.integrationWalk's, and a Certificate left without an issuer (the syncer refuses it).
Call with (dict "m" ... "at" ... "unknown" ...).
*/}}
{{- define "vsyncer.certManagerProblems" -}}
{{- $c := dict "m" .m "at" .at "unknown" .unknown "schema" (include "vsyncer.certManagerSchema" . | fromYaml) "out" (dict "problems" list) -}}
{{- include "vsyncer.integrationWalk" $c -}}
{{- $problems := $c.out.problems -}}
{{- if not $problems -}}
{{- $parts := include "vsyncer.certManagerParts" .m | fromJson -}}
{{- if and $parts.certificates (not $parts.issuers) (not $parts.clusterIssuers) -}}
{{- $problems = append $problems (printf "%s.sync.toHost.certificates: a Certificate needs an issuer: keep sync.toHost.issuers or sync.fromHost.clusterIssuers on" .at) -}}
{{- end -}}
{{- end -}}
{{- toJson $problems -}}
{{- end -}}

{{/*
Which parts of an integrations.certManager section are on, as JSON {on, certificates, issuers,
clusterIssuers}: each part, when the section is enabled, unless its own `enabled` is false (vCluster's
defaults: the section off, each part on).
*/}}
{{- define "vsyncer.certManagerParts" -}}
{{- $m := . -}}
{{- if not (kindIs "map" $m) -}}{{- $m = dict -}}{{- end -}}
{{- $on := eq (toString $m.enabled) "true" -}}
{{- $sync := $m.sync -}}
{{- if not (kindIs "map" $sync) -}}{{- $sync = dict -}}{{- end -}}
{{- $toHost := $sync.toHost -}}
{{- if not (kindIs "map" $toHost) -}}{{- $toHost = dict -}}{{- end -}}
{{- $fromHost := $sync.fromHost -}}
{{- if not (kindIs "map" $fromHost) -}}{{- $fromHost = dict -}}{{- end -}}
{{- $parts := dict "on" $on -}}
{{- range $name, $section := dict "certificates" $toHost.certificates "issuers" $toHost.issuers "clusterIssuers" $fromHost.clusterIssuers -}}
{{- $enabled := "" -}}
{{- if kindIs "map" $section -}}{{- $enabled = toString $section.enabled -}}{{- end -}}
{{- $_ := set $parts $name (and $on (ne $enabled "false")) -}}
{{- end -}}
{{- toJson $parts -}}
{{- end -}}

{{/*
The keys of an integrations.externalSecrets `sync` map (a map) that are set (not absent or null) in
each of vCluster's forms, as JSON {earlier: [...], current: [...]}.
*/}}
{{- define "vsyncer.externalSecretsForms" -}}
{{- $sync := . -}}
{{- $forms := dict "earlier" list "current" list -}}
{{- range $form, $keys := dict "earlier" (list "externalSecrets" "stores" "clusterStores") "current" (list "toHost" "fromHost") -}}
{{- range $key := $keys -}}
{{- if and (hasKey $sync $key) (not (kindIs "invalid" (get $sync $key))) -}}
{{- $_ := set $forms $form (append (get $forms $form) $key) -}}
{{- end -}}
{{- end -}}
{{- end -}}
{{- toJson $forms -}}
{{- end -}}

{{/*
The problems of an integrations.externalSecrets section `m` (vCluster's keys, at path `at`), as a
JSON list: vsyncer.integrationWalk's and, while the section is enabled, what the syncer refuses: the
host's webhooks reused (webhook.enabled), a version that is not an API version, both of vCluster's
forms at once, a selector's matchExpressions (the syncer selects by matchLabels only), and
ExternalSecrets with no store to name (neither the tenant's SecretStores nor the host's
ClusterSecretStores on).
Call with (dict "m" ... "at" ... "unknown" ...).
*/}}
{{- define "vsyncer.externalSecretsProblems" -}}
{{- $c := dict "m" .m "at" .at "unknown" .unknown "schema" (include "vsyncer.externalSecretsSchema" . | fromYaml) "out" (dict "problems" list) -}}
{{- include "vsyncer.integrationWalk" $c -}}
{{- $problems := $c.out.problems -}}
{{- $parts := include "vsyncer.externalSecretsParts" .m | fromJson -}}
{{- if and (not $problems) $parts.on -}}
{{- $at := .at -}}
{{- $m := .m -}}
{{- $webhook := $m.webhook | default dict -}}
{{- if eq (toString $webhook.enabled) "true" -}}
{{- $problems = append $problems (printf "%s.webhook.enabled: not offered by vsyncer: the host's External Secrets Operator webhooks are not reused in the virtual cluster (the CRDs' schemas still check what tenants write, and the host's webhooks check the copies)" $at) -}}
{{- end -}}
{{- $version := $m.version | default "" -}}
{{- if not (regexMatch "^(v[1-9][0-9]*((alpha|beta)[1-9][0-9]*)?)?$" $version) -}}
{{- $problems = append $problems (printf "%s.version: must be an API version such as v1 or v1beta1, not %s" $at (toJson $version)) -}}
{{- end -}}
{{- $sync := $m.sync | default dict -}}
{{- $forms := include "vsyncer.externalSecretsForms" $sync | fromJson -}}
{{- if and $forms.earlier $forms.current -}}
{{- $earlier := first $forms.earlier -}}
{{- $problems = append $problems (printf "%s.sync.%s: vCluster's earlier form (sync.%s) and its current one (sync.%s) are both set: use one (the current: sync.toHost.{externalSecrets,stores}, sync.fromHost.clusterStores)" $at $earlier $earlier (first $forms.current)) -}}
{{- else -}}
{{- if not $forms.earlier -}}
{{- $toHost := $sync.toHost | default dict -}}
{{- $fromHost := $sync.fromHost | default dict -}}
{{- range $path, $section := dict "toHost.externalSecrets" $toHost.externalSecrets "toHost.stores" $toHost.stores "fromHost.clusterStores" $fromHost.clusterStores -}}
{{- $section = $section | default dict -}}
{{- $selector := $section.selector | default dict -}}
{{- if $selector.matchExpressions -}}
{{- $problems = append $problems (printf "%s.sync.%s.selector.matchExpressions: not offered by vsyncer: select by matchLabels (every label given must be on the object)" $at $path) -}}
{{- end -}}
{{- end -}}
{{- end -}}
{{- if and $parts.externalSecrets (not (or $parts.stores $parts.clusterStores)) -}}
{{- if $forms.earlier -}}
{{- $problems = append $problems (printf "%s.sync.externalSecrets: an ExternalSecret needs a store: turn on sync.stores (the tenant's SecretStores) or sync.clusterStores (the host's ClusterSecretStores)" $at) -}}
{{- else -}}
{{- $problems = append $problems (printf "%s.sync.toHost.externalSecrets: an ExternalSecret needs a store: turn on sync.toHost.stores (the tenant's SecretStores) or sync.fromHost.clusterStores (the host's ClusterSecretStores)" $at) -}}
{{- end -}}
{{- end -}}
{{- end -}}
{{- end -}}
{{- toJson $problems -}}
{{- end -}}

{{/*
Which parts of an integrations.externalSecrets section are on, as JSON {on, externalSecrets, stores,
clusterStores}, from either of vCluster's forms as the syncer reads them: the ExternalSecrets
whenever the section is enabled (vCluster's current form has no switch for them; the earlier
form's sync.externalSecrets.enabled: false turns them off), the tenant's SecretStores and the
host's ClusterSecretStores while their own `enabled` is true (vCluster's defaults: both off).
*/}}
{{- define "vsyncer.externalSecretsParts" -}}
{{- $m := . -}}
{{- if not (kindIs "map" $m) -}}{{- $m = dict -}}{{- end -}}
{{- $on := eq (toString $m.enabled) "true" -}}
{{- $sync := $m.sync -}}
{{- if not (kindIs "map" $sync) -}}{{- $sync = dict -}}{{- end -}}
{{- $stores := $sync.stores -}}
{{- $clusterStores := $sync.clusterStores -}}
{{- $externalSecrets := $on -}}
{{- if (include "vsyncer.externalSecretsForms" $sync | fromJson).earlier -}}
{{- /* The earlier form could turn the ExternalSecrets off, leaving the stores only. */ -}}
{{- if and (kindIs "map" $sync.externalSecrets) (eq (toString $sync.externalSecrets.enabled) "false") -}}
{{- $externalSecrets = false -}}
{{- end -}}
{{- else -}}
{{- $toHost := $sync.toHost -}}
{{- if not (kindIs "map" $toHost) -}}{{- $toHost = dict -}}{{- end -}}
{{- $fromHost := $sync.fromHost -}}
{{- if not (kindIs "map" $fromHost) -}}{{- $fromHost = dict -}}{{- end -}}
{{- $stores = $toHost.stores -}}
{{- $clusterStores = $fromHost.clusterStores -}}
{{- end -}}
{{- $parts := dict "on" $on "externalSecrets" $externalSecrets -}}
{{- range $name, $section := dict "stores" $stores "clusterStores" $clusterStores -}}
{{- $enabled := "" -}}
{{- if kindIs "map" $section -}}{{- $enabled = toString $section.enabled -}}{{- end -}}
{{- $_ := set $parts $name (and $on (eq $enabled "true")) -}}
{{- end -}}
{{- toJson $parts -}}
{{- end -}}

{{/*
The integrations of the syncer's config file (syncer.config.integrations, where vCluster's
integrations are mapped too), as JSON {certManager, externalSecrets}: which parts of each are on, as
its vsyncer.<name>Parts gives them, for the Role and ClusterRole. Fails on what the syncer would
refuse: another integration (unless off), a malformed section, a resource customResources configures
too; and with the secrets kind off, which carries the Secrets the integrations' objects name to the
host and those the host fills back to the tenant.
*/}}
{{- define "vsyncer.integrations" -}}
{{- include "vsyncer.values" . -}}
{{- $config := .Values.syncer.config -}}
{{- $offered := include "vsyncer.integrationsOffered" . | fromYaml -}}
{{- $names := keys $offered | sortAlpha -}}
{{- $integrations := dict -}}
{{- if kindIs "map" $config -}}
{{- if hasKey $config "integrations" -}}
{{- $integrations = $config.integrations -}}
{{- if not (kindIs "map" $integrations) -}}
{{- fail (printf "syncer.config.integrations must be a map (vCluster's integrations: %s), not the %s %s" (join ", " $names) (kindOf $integrations) (toJson $integrations)) -}}
{{- end -}}
{{- end -}}
{{- end -}}
{{- $problems := list -}}
{{- range $key := keys $integrations | sortAlpha -}}
{{- if has $key $names -}}
{{- else if include "vsyncer.vc.isOff" (get $integrations $key) -}}
{{- /* Off, as vCluster's defaults write every integration: nothing to do. */ -}}
{{- else if eq $key "metricsServer" -}}
{{- $problems = append $problems "syncer.config.integrations.metricsServer: set syncer.metricsServerProxy.enabled instead" -}}
{{- else -}}
{{- $problems = append $problems (printf "syncer.config.integrations.%s: vsyncer has no equivalent (only %s are offered)" $key (join " and " $names)) -}}
{{- end -}}
{{- end -}}
{{- $all := dict -}}
{{- range $name := $names -}}
{{- $m := dict -}}
{{- if hasKey $integrations $name -}}{{- $m = get $integrations $name -}}{{- end -}}
{{- $problems = concat $problems (include (printf "vsyncer.%sProblems" $name) (dict "m" $m "at" (printf "syncer.config.integrations.%s" $name) "unknown" (printf "not a key of vCluster's integrations.%s, which the syncer's config file takes as vCluster writes it" $name)) | fromJsonArray) -}}
{{- $_ := set $all $name (include (printf "vsyncer.%sParts" $name) $m | fromJson) -}}
{{- end -}}
{{- with $problems -}}
{{- fail (printf "syncer.config.integrations takes vCluster's integrations.%s, as vCluster writes them: %s" (join " and " $names) (join "; " .)) -}}
{{- end -}}
{{- /* The resources customResources configures, each [where, <plural>.<group>]. */ -}}
{{- $named := list -}}
{{- $cr := dict -}}
{{- if and (kindIs "map" $config) (kindIs "map" $config.customResources) -}}{{- $cr = $config.customResources -}}{{- end -}}
{{- range $dir := list "toHost" "fromHost" -}}
{{- $section := get $cr $dir -}}
{{- if kindIs "slice" $section -}}
{{- range $i, $e := $section -}}
{{- if kindIs "map" $e -}}{{- $named = append $named (list (printf "syncer.config.customResources.%s[%d]" $dir $i) (toString $e.resource) $dir) -}}{{- end -}}
{{- end -}}
{{- else if kindIs "map" $section -}}
{{- range $key, $e := $section -}}
{{- if and (kindIs "map" $e) (eq (toString $e.enabled) "true") -}}{{- $named = append $named (list (printf "syncer.config.customResources.%s[%s]" $dir (toJson $key)) $key $dir) -}}{{- end -}}
{{- end -}}
{{- end -}}
{{- end -}}
{{- range $name := $names -}}
{{- $parts := get $all $name -}}
{{- if $parts.on -}}
{{- $integration := get $offered $name -}}
{{- if not (include "vsyncer.kindOn" (dict "root" $ "kind" "secrets" "defaultOn" true)) -}}
{{- fail (printf "integrations.%s needs the secrets kind, which syncer.sync (or vCluster's sync.toHost.secrets.enabled) turns off: %s" $name $integration.secrets) -}}
{{- end -}}
{{- range $entry := $named -}}
{{- $crd := trim (first (splitList "/" (index $entry 1))) -}}
{{- $part := get $integration.resources $crd -}}
{{- if and $part (get $parts $part) -}}
{{- fail (printf "integrations.%s syncs %s (its %s part), which %s configures too (vCluster's sync.%s.customResources lands there): configure it in one place" $name $crd $part (index $entry 0) (index $entry 2)) -}}
{{- end -}}
{{- end -}}
{{- end -}}
{{- end -}}
{{- toJson $all -}}
{{- end -}}

{{/*
integrations.certManager of the syncer's config file, as vsyncer.integrations checks it: which parts
are on, as JSON {on, certificates, issuers, clusterIssuers} (vsyncer.certManagerParts), for the Role
and ClusterRole.
*/}}
{{- define "vsyncer.certManager" -}}
{{- get (include "vsyncer.integrations" . | fromJson) "certManager" | toJson -}}
{{- end -}}

{{/*
integrations.externalSecrets of the syncer's config file, as vsyncer.integrations checks it: which
parts are on, as JSON {on, externalSecrets, stores, clusterStores} (vsyncer.externalSecretsParts),
for the Role and ClusterRole.
*/}}
{{- define "vsyncer.externalSecrets" -}}
{{- get (include "vsyncer.integrations" . | fromJson) "externalSecrets" | toJson -}}
{{- end -}}

{{/*
The value that sets each key of the syncer's config file (the camelCase of its flag), or, in
parentheses, where the chart takes it from when no value of its own sets it.
*/}}
{{- define "vsyncer.configKeyValues" -}}
name: (from the release name)
hostNamespace: (from the release namespace)
virtualApiService: syncer.virtualApiService
setOwner: syncer.setOwner
hostKubeconfig: syncer.hostKubeconfig
virtualKubeconfig: (the control plane's kubeconfig)
kubeconfigSecret: exportKubeconfig.secret
kubeconfigSecretServer: exportKubeconfig.server
kubeconfigSecretContext: exportKubeconfig.context
kubeconfigSecretInsecure: exportKubeconfig.insecure
kubeconfigSecretServiceAccount: exportKubeconfig.serviceAccount
kubeconfigSecretServiceAccountClusterRole: exportKubeconfig.serviceAccount.clusterRole
kubeconfigAdditionalSecret: exportKubeconfig.additionalSecrets
corednsImage: vanilla.coredns.image
fallbackHostDns: syncer.fallbackHostDns
initManifests: initManifests
initManifestsGeneration: (from the release revision that last changed initManifests)
sync: syncer.sync
hostQps: syncer.hostQps
hostBurst: syncer.hostBurst
virtualQps: syncer.virtualQps
virtualBurst: syncer.virtualBurst
requestTimeout: syncer.requestTimeout
workers: syncer.workers
logLevel: syncer.logLevel
logFormat: syncer.logFormat
metricsBindAddress: syncer.metricsPort
leaderElect: syncer.leaderElect
leaderElectLeaseDuration: syncer.leaderElectLeaseDuration
leaderElectRenewDeadline: syncer.leaderElectRenewDeadline
leaderElectRetryPeriod: syncer.leaderElectRetryPeriod
leaderElectIdentity: (from the pod name)
deniedHostMetadata: syncer.deniedHostMetadata
tenantOverridesHostMetadata: syncer.tenantOverridesHostMetadata
shutdownTimeout: syncer.shutdownTimeout
kubeletBindAddress: syncer.kubelet.port
apiProxyPort: controlPlane.proxy.port
apiProxyBindAddress: controlPlane.proxy.bindAddress
kubeletAdvertiseAddress: (from the pod IP)
kubeletTlsCertFile: (with syncer.kubelet.enabled)
kubeletTlsKeyFile: (with syncer.kubelet.enabled)
kubeletClientCaFile: (with syncer.kubelet.enabled)
kubeletClientUser: (with syncer.kubelet.enabled)
kubeletNodePorts: syncer.kubelet.nodePorts
kubeletNodeStats: syncer.kubelet.nodeStats
metricsServerProxy: syncer.metricsServerProxy.enabled
metricsServerProxyPort: (with syncer.metricsServerProxy.enabled)
extraRootCaFile: (with syncer.kubelet.enabled)
syncAllConfigmaps: syncer.syncAllConfigMaps
syncAllSecrets: syncer.syncAllSecrets
mapHostConfigmap: syncer.mapHostConfigMaps
mapHostSecret: syncer.mapHostSecrets
clusterDomain: k3s.clusterDomain
clusterDnsIp: syncer.clusterDnsIp
podDnsNameserver: syncer.podDnsNameservers
workloadServiceAccount: syncer.workloadServiceAccount
enforceToleration: syncer.enforceTolerations
deniedPodMetadata: syncer.deniedPodMetadata
reservedContainerName: syncer.reservedContainerNames
hostsRewriteImage: syncer.hostsRewriteImage
translateImage: syncer.translateImage
podSecurityStandard: syncer.podSecurityStandard
namespacePodSecurityLabel: syncer.namespacePodSecurityLabel
virtualScheduler: syncer.virtualScheduler
allowNodeName: syncer.allowNodeName
enforceRuntimeClass: syncer.enforceRuntimeClass
enforcePriorityClass: syncer.enforcePriorityClass
podTokenSecrets: syncer.podTokenSecrets
allowedScheduler: syncer.allowedSchedulers
allowedSigner: syncer.allowedSigners
allowedInlineCsiDriver: syncer.allowedInlineCsiDrivers
allowedInlineVolumeSource: syncer.allowedInlineVolumeSources
mapHostService: syncer.mapHostServices
mapVirtualService: syncer.mapVirtualServices
allowedStorageProvisioner: syncer.allowedStorageProvisioners
allowRetainStorageClass: syncer.allowRetainStorageClass
allowedPvSource: syncer.allowedPvSources
deniedEndpointCidr: syncer.deniedEndpointCidrs
allowedEndpointCidr: syncer.allowedEndpointCidrs
tenantEgressCidr: isolation.networkPolicy.outgoingCIDR
tenantEgressExceptCidr: isolation.networkPolicy.exceptCIDRs
tenantPublicEgress: isolation.networkPolicy.publicEgress
reservedIngressHost: (from controlPlane.ingress and controlPlane.proxy.extraSANs)
allowedIngressHost: syncer.allowedIngressHosts
allowedServerUrl: syncer.allowedServerUrls
syncRealNodes: syncer.syncRealNodes
nodeSelector: syncer.nodeSelector
enforceNodeSelector: syncer.enforceNodeSelector
hostStorageclassesSelector: syncer.hostClassSelectors.storageClasses
hostIngressclassesSelector: syncer.hostClassSelectors.ingressClasses
hostPriorityclassesSelector: syncer.hostClassSelectors.priorityClasses
hostRuntimeclassesSelector: syncer.hostClassSelectors.runtimeClasses
hostGatewayclassesSelector: syncer.hostClassSelectors.gatewayClasses
hostDeviceclassesSelector: syncer.hostClassSelectors.deviceClasses
priorityClassMaxValue: syncer.priorityClassMaxValue
deniedServiceAccountAnnotation: syncer.deniedServiceAccountAnnotations
workloadImagePullSecret: syncer.workloadImagePullSecrets
workloadImagePullSecretSelector: syncer.workloadImagePullSecretSelector
{{- end -}}

{{/*
controlPlane.imagePullSecrets as a pod's imagePullSecrets (YAML list; empty when none): each a Secret
name or {name: ...}. The control-plane pod's and the deployed etcd's.
*/}}
{{- define "vsyncer.controlPlanePullSecrets" -}}
{{- range $i, $secret := .Values.controlPlane.imagePullSecrets }}
{{- $name := $secret }}
{{- if kindIs "map" $secret }}{{ $name = $secret.name }}{{ end }}
{{- if not $name }}
{{- fail (printf "controlPlane.imagePullSecrets[%d]: give a Secret name, or {name: <Secret>}" $i) }}
{{- end }}
- name: {{ $name | quote }}
{{- end }}
{{- end -}}

{{/*
The Secret holding k3s's external data store (keys `endpoint` and `token`): k3s.datastore.secretName,
or the chart's own <release>-datastore (templates/datastore.yaml) when k3s.datastore.endpoint gives the
data source itself; empty for none. Fails on settings that do not go together.
*/}}
{{- define "vsyncer.datastoreSecret" -}}
{{- $d := .Values.k3s.datastore -}}
{{- if and $d.secretName $d.endpoint -}}
{{- fail "k3s.datastore.secretName and k3s.datastore.endpoint both name the data store: give one (a Secret of your own keeps the credentials out of the release's values)" -}}
{{- else if or $d.secretName $d.endpoint -}}
{{- if eq (include "vsyncer.distro" .) "vanilla" -}}
{{- fail "k3s.datastore (an external data store) is k3s's: the vanilla control plane keeps its data in etcd, its own or a deployed one (deployedEtcd)" -}}
{{- end -}}
{{- $d.secretName | default (printf "%s-datastore" (include "vsyncer.name" .)) -}}
{{- else if or $d.caFile $d.certFile $d.keyFile -}}
{{- fail "k3s.datastore.caFile, certFile and keyFile are for an external data store: give it as k3s.datastore.secretName or k3s.datastore.endpoint" -}}
{{- end -}}
{{- end -}}

{{/*
The syncer's service account on the host: syncer.serviceAccount.name, else the release's name. With
syncer.serviceAccount.create false, one made beforehand, which must be named.
*/}}
{{- define "vsyncer.serviceAccountName" -}}
{{- $sa := .Values.syncer.serviceAccount -}}
{{- if and (not $sa.create) (not $sa.name) -}}
{{- fail "syncer.serviceAccount.create: false uses a service account made beforehand: name it in syncer.serviceAccount.name" -}}
{{- end -}}
{{- $name := $sa.name | default (include "vsyncer.name" .) -}}
{{- if eq $name (include "vsyncer.workloadServiceAccount" .) -}}
{{- fail (printf "syncer.serviceAccount.name %s is the account every tenant pod runs as on the host (syncer.workloadServiceAccount): the syncer's must be another, or what the host grants it reaches tenants' pods" $name) -}}
{{- end -}}
{{- if and $sa.create (eq $name "default") -}}
{{- fail "syncer.serviceAccount.name default with create: true: every namespace has that account already; choose another name, or create: false" -}}
{{- end -}}
{{- $name -}}
{{- end -}}

{{/*
Topology spread constraints as a YAML list: a constraint without a labelSelector would count no pod,
so it spreads the pods of `selector` (YAML labels: the control plane's replicas, a deployed etcd's
members). Call with (dict "constraints" list "selector" yaml).
*/}}
{{- define "vsyncer.spreadConstraints" -}}
{{- range .constraints }}
{{- $constraint := deepCopy . }}
{{- if not $constraint.labelSelector }}
{{- $_ := set $constraint "labelSelector" (dict "matchLabels" ($.selector | fromYaml)) }}
{{- end }}
- {{- toYaml $constraint | nindent 2 }}
{{- end }}
{{- end -}}

{{/*
A storage quantity (5Gi, 10240Mi, 1.5G, 5368709120, or a number Helm read as a float) in bytes, as
text, so that two ways of writing one size compare equal; what it cannot read is given back as it is.
*/}}
{{- define "vsyncer.quantityBytes" -}}
{{- $q := toString . -}}
{{- $units := dict "" 1.0 "k" 1e3 "M" 1e6 "G" 1e9 "T" 1e12 "P" 1e15 "E" 1e18 "Ki" 1024.0 "Mi" 1048576.0 "Gi" 1073741824.0 "Ti" 1099511627776.0 "Pi" 1125899906842624.0 "Ei" 1152921504606846976.0 -}}
{{- $number := regexFind "^[0-9]+(\\.[0-9]+)?([eE][-+]?[0-9]+)?" $q -}}
{{- $unit := trimPrefix $number $q -}}
{{- if and $number (hasKey $units $unit) -}}
{{- printf "%.0f" (mulf (float64 $number) (get $units $unit)) -}}
{{- else -}}
{{- $q -}}
{{- end -}}
{{- end -}}

{{/*
A duration as the syncer's flags take it (Go's: 30s, 1m30s, 500ms, 1.5h) in whole seconds, rounded
up; 0 when it reads none.
*/}}
{{- define "vsyncer.durationSeconds" -}}
{{- $units := dict "h" 3600.0 "m" 60.0 "s" 1.0 "ms" 0.001 "us" 0.000001 "µs" 0.000001 "ns" 0.000000001 -}}
{{- $total := 0.0 -}}
{{- range regexFindAll "[0-9]+(\\.[0-9]+)?(ms|us|µs|ns|h|m|s)" (toString .) -1 -}}
{{- $unit := regexFind "(ms|us|µs|ns|h|m|s)$" . -}}
{{- $total = addf $total (mulf (float64 (trimSuffix $unit .)) (get $units $unit)) -}}
{{- end -}}
{{- ceil $total | int -}}
{{- end -}}
