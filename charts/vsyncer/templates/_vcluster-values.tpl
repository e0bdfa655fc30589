{{/*
vCluster's values for the control-plane pod and its top-level sections, read by vsyncer.values
(templates/_helpers.tpl) as it reads sync, networking and policies: each key sets the vsyncer value
doing the same (docs/helm.md: vCluster values this chart reads), a key and its vsyncer value both set
to different things fail naming both, and a key vsyncer has no equivalent for fails unless it is off.
Some keys are accepted and do nothing, each for a reason given beside it: they configure a part
vCluster has and vsyncer has not (its own binary's image, private nodes, Docker mode), so a whole
vcluster.yaml, defaults included, installs this chart with what it asks for.
*/}}

{{/* `value` must be one of `allowed` (compared as strings): else a problem naming `at` and what vsyncer does. */}}
{{- define "vsyncer.vc.only" -}}
{{- if not (has (toString .value) .allowed) -}}
{{- include "vsyncer.vc.problem" (dict "s" .s "text" (printf "%s: %s; only %s is accepted, not %s" .at .why (join " or " .allowed) (toJson .value))) -}}
{{- end -}}
{{- end -}}

{{/* An image as vCluster writes it, a string or {registry, repository, tag}, as one string ("" when none). */}}
{{- define "vsyncer.vc.image" -}}
{{- if kindIs "map" . -}}
{{- if .repository -}}
{{- printf "%s%s%s" (ternary (printf "%s/" (toString .registry)) "" (not (empty .registry))) (toString .repository) (ternary (printf ":%s" (toString .tag)) "" (not (empty .tag))) -}}
{{- end -}}
{{- else if . -}}
{{- toString . -}}
{{- end -}}
{{- end -}}

{{/* The distro a vCluster values file picks: its controlPlane.distro map read into vsyncer's name. */}}
{{- define "vsyncer.vc.distro" -}}
{{- $s := . -}}
{{- $cp := $s.root.Values.controlPlane -}}
{{- $d := $cp.distro -}}
{{- $at := "controlPlane.distro" -}}
{{- include "vsyncer.vc.keys" (dict "s" $s "at" $at "m" $d "known" (list "k3s" "k8s") "off" (list "k0s" "eks")) -}}
{{- $on := list -}}
{{- range $name := list "k3s" "k8s" -}}
{{- $m := get $d $name -}}
{{- if and (kindIs "map" $m) (eq (toString $m.enabled) "true") -}}{{- $on = append $on $name -}}{{- end -}}
{{- end -}}
{{- if gt (len $on) 1 -}}
{{- include "vsyncer.vc.problem" (dict "s" $s "text" (printf "%s: k3s and k8s are both enabled: enable one" $at)) -}}
{{- $_ := unset $cp "distro" -}}
{{- else if has "k3s" $on -}}
{{- $_ := set $cp "distro" "k3s" -}}
{{- include "vsyncer.vc.k3s" (dict "s" $s "m" $d.k3s) -}}
{{- include "vsyncer.vc.k8sScheduler" (dict "s" $s "m" $d.k8s) -}}
{{- else if has "k8s" $on -}}
{{- $_ := set $cp "distro" "vanilla" -}}
{{- include "vsyncer.vc.k8s" (dict "s" $s "m" $d.k8s) -}}
{{- else -}}
{{- /*
Neither enabled: vCluster runs k8s (its default since v0.20), vsyncer k3s (its own default) unless
the values set k8s up: then the vanilla control plane, as in vCluster. Its image and the components'
switches at vCluster's defaults set nothing up.
*/ -}}
{{- $_ := unset $cp "distro" -}}
{{- with $d.k8s -}}
{{- $k8s := . -}}
{{- $kat := printf "%s.k8s" $at -}}
{{- include "vsyncer.vc.keys" (dict "s" $s "at" $kat "m" $k8s "known" (list "enabled" "version" "image" "apiServer" "controllerManager" "scheduler" "command" "env" "securityContext") "ignored" (list "resources" "imagePullPolicy")) -}}
{{- $asked := list -}}
{{- if $k8s.version -}}{{- $asked = append $asked "version" -}}{{- end -}}
{{- range $key := list "command" "env" "securityContext" -}}
{{- if not (include "vsyncer.vc.isOff" (get $k8s $key)) -}}{{- $asked = append $asked $key -}}{{- end -}}
{{- end -}}
{{- /* Its image at one of vCluster's defaults (a whole default file of some version) asks for nothing. */ -}}
{{- $image := $k8s.image -}}
{{- if kindIs "map" $image -}}
{{- $tags := list "" "v1.32.1" "v1.33.0" "v1.33.1" "v1.33.4" "v1.34.0" "v1.35.0" "v1.36.0" -}}
{{- if not (and (eq (toString ($image.registry | default "ghcr.io")) "ghcr.io") (eq (toString ($image.repository | default "loft-sh/kubernetes")) "loft-sh/kubernetes") (has (toString ($image.tag | default "")) $tags)) -}}
{{- $asked = append $asked "image" -}}
{{- end -}}
{{- else if $image -}}
{{- $asked = append $asked "image" -}}
{{- end -}}
{{- range $component := list "apiServer" "controllerManager" "scheduler" -}}
{{- $c := get $k8s $component | default dict -}}
{{- if kindIs "map" $c -}}
{{- if $c.extraArgs -}}{{- $asked = append $asked (printf "%s.extraArgs" $component) -}}{{- end -}}
{{- if $c.command -}}{{- $asked = append $asked (printf "%s.command" $component) -}}{{- end -}}
{{- if and (ne $component "scheduler") (hasKey $c "enabled") (ne (toString $c.enabled) "true") -}}{{- $asked = append $asked (printf "%s.enabled" $component) -}}{{- end -}}
{{- end -}}
{{- end -}}
{{- if $asked -}}
{{- $_ := set $cp "distro" "vanilla" -}}
{{- include "vsyncer.vc.k8s" (dict "s" $s "m" $k8s) -}}
{{- end -}}
{{- end -}}
{{- if ne (toString $cp.distro) "vanilla" -}}
{{- include "vsyncer.vc.k8sScheduler" (dict "s" $s "m" $d.k8s) -}}
{{- end -}}
{{- end -}}
{{- end -}}

{{/*
The names of a vCluster env list (at `at`) vsyncer cannot set: VCLUSTER_* (settings of vCluster's own
binary; vsyncer's are syncer.* values) and what vsyncer.envNameProblem refuses.
Call with (dict "s" $s "at" ... "env" list).
*/}}
{{- define "vsyncer.vc.envNames" -}}
{{- $s := .s -}}
{{- $at := .at -}}
{{- range .env -}}
{{- if and (kindIs "map" .) (hasKey (include "vsyncer.vc.clientEnv" $s | fromYaml) (toString .name)) -}}
{{- /* The host client's rate limit: read by vsyncer.vc.env. */ -}}
{{- else if and (kindIs "map" .) (hasPrefix "VCLUSTER_" (toString .name)) -}}
{{- include "vsyncer.vc.problem" (dict "s" $s "text" (printf "%s: %s is a setting of vCluster's own binary, which vsyncer has not; its settings are the syncer.* values (docs/helm.md)" $at .name)) -}}
{{- else if kindIs "map" . -}}
{{- with include "vsyncer.envNameProblem" (dict "root" $s.root "name" (toString .name)) -}}
{{- include "vsyncer.vc.problem" (dict "s" $s "text" (printf "%s: %s" $at .)) -}}
{{- end -}}
{{- end -}}
{{- end -}}
{{- end -}}

{{/*
The control plane's environment: controlPlane.statefulSet.env, then the distro's own env (k3s.env or
k8s.env), as vCluster lists them in its container: controlPlane.env. Each name is checked as the
statefulSet's are.
*/}}
{{- define "vsyncer.vc.env" -}}
{{- $s := . -}}
{{- $listed := $s.statefulSetEnv | default list -}}
{{- $from := list -}}
{{- if hasKey $s "statefulSetEnv" -}}{{- $from = append $from "controlPlane.statefulSet.env" -}}{{- end -}}
{{- with $s.distroEnv -}}
{{- if not (kindIs "slice" .env) -}}
{{- include "vsyncer.vc.problem" (dict "s" $s "text" (printf "%s must be a list of environment variables" .at)) -}}
{{- else -}}
{{- $listed = concat $listed .env -}}
{{- $from = append $from .at -}}
{{- include "vsyncer.vc.envNames" (dict "s" $s "at" .at "env" .env) -}}
{{- end -}}
{{- end -}}
{{- /*
vCluster's binary reads its host client's rate limit from two variables (its sizing guide sets them):
they set the syncer's, and are not passed on.
*/ -}}
{{- $env := list -}}
{{- $clientEnv := include "vsyncer.vc.clientEnv" $s | fromYaml -}}
{{- range $listed -}}
{{- $to := and (kindIs "map" .) (get $clientEnv (toString .name)) -}}
{{- if not $to -}}
{{- $env = append $env . -}}
{{- else if not (and (hasKey . "value") (regexMatch (ternary "^[1-9][0-9]*$" "^([1-9][0-9]*(\\.[0-9]+)?|0\\.[0-9]*[1-9][0-9]*)$" (eq $to "syncer.hostBurst")) (toString .value))) -}}
{{- include "vsyncer.vc.problem" (dict "s" $s "text" (printf "%s (vCluster's environment variable) sets %s: give it a value, a %s such as \"400\", not %s" .name $to (ternary "whole number above 0" "number above 0" (eq $to "syncer.hostBurst")) (toJson (omit . "name")))) -}}
{{- else -}}
{{- include "vsyncer.vc.assign" (dict "s" $s "from" (printf "the environment variable %s" .name) "to" $to "value" (ternary (int64 .value) (float64 .value) (eq $to "syncer.hostBurst")) "default" (ternary (int64 80) (float64 40) (eq $to "syncer.hostBurst"))) -}}
{{- end -}}
{{- end -}}
{{- if $from -}}
{{- include "vsyncer.vc.assign" (dict "s" $s "from" (join " and " $from) "to" "controlPlane.env" "value" $env "default" list) -}}
{{- end -}}
{{- end -}}

{{/* vCluster's environment variables for its host client, and the syncer values they set. */}}
{{- define "vsyncer.vc.clientEnv" -}}
VCLUSTER_PHYSICAL_CLIENT_QPS: syncer.hostQps
VCLUSTER_PHYSICAL_CLIENT_BURST: syncer.hostBurst
{{- end -}}

{{/*
controlPlane.distro.k8s.scheduler.enabled true turns the virtual scheduler on whichever distro runs,
as in vCluster (its virtual scheduler is on when this or controlPlane.advanced.virtualScheduler is).
*/}}
{{- define "vsyncer.vc.k8sScheduler" -}}
{{- $m := .m -}}
{{- if kindIs "map" $m -}}
{{- $c := $m.scheduler -}}
{{- if and (kindIs "map" $c) (eq (toString $c.enabled) "true") -}}
{{- include "vsyncer.vc.assign" (dict "s" .s "from" "controlPlane.distro.k8s.scheduler.enabled" "to" "syncer.virtualScheduler" "value" true "default" false) -}}
{{- end -}}
{{- end -}}
{{- end -}}

{{/* controlPlane.distro.k3s, enabled: k3s's image, arguments and resources. */}}
{{- define "vsyncer.vc.k3s" -}}
{{- $s := .s -}}
{{- $m := .m -}}
{{- $at := "controlPlane.distro.k3s" -}}
{{- /* resources and imagePullPolicy are those of vCluster's init container copying the binaries, which vsyncer has not. */ -}}
{{- include "vsyncer.vc.keys" (dict "s" $s "at" $at "m" $m "known" (list "enabled" "image" "extraArgs" "env") "ignored" (list "resources" "imagePullPolicy") "off" (list "token" "command" "securityContext")) -}}
{{- with $m.env -}}{{- $_ := set $s "distroEnv" (dict "at" (printf "%s.env" $at) "env" .) -}}{{- end -}}
{{- with include "vsyncer.vc.image" $m.image -}}
{{- include "vsyncer.vc.assign" (dict "s" $s "from" (printf "%s.image" $at) "to" "k3s.image" "value" . "default" "rancher/k3s:v1.34.1-k3s1") -}}
{{- end -}}
{{- with $m.extraArgs -}}
{{- include "vsyncer.vc.assign" (dict "s" $s "from" (printf "%s.extraArgs" $at) "to" "k3s.extraArgs" "value" . "default" list) -}}
{{- end -}}
{{- end -}}

{{/*
controlPlane.distro.k8s, enabled: the vanilla control plane. vCluster's image bundles the Kubernetes
binaries; vsyncer runs each component's own image from registry.k8s.io, so the Kubernetes version
(`version`, else the image's tag) picks their tags. Another registry or repository than vCluster's
(a mirror) is refused: vsyncer's images are vanilla.*.image. resources and imagePullPolicy are those
of vCluster's init container copying the binaries, which vsyncer has not.
*/}}
{{- define "vsyncer.vc.k8s" -}}
{{- $s := .s -}}
{{- $m := .m -}}
{{- $at := "controlPlane.distro.k8s" -}}
{{- include "vsyncer.vc.keys" (dict "s" $s "at" $at "m" $m "known" (list "enabled" "version" "image" "apiServer" "controllerManager" "scheduler" "env") "ignored" (list "resources" "imagePullPolicy") "off" (list "command" "securityContext")) -}}
{{- with $m.env -}}{{- $_ := set $s "distroEnv" (dict "at" (printf "%s.env" $at) "env" .) -}}{{- end -}}
{{- if kindIs "map" $m.image -}}
{{- if not (and (has (toString ($m.image.registry | default "ghcr.io")) (list "ghcr.io")) (has (toString ($m.image.repository | default "loft-sh/kubernetes")) (list "loft-sh/kubernetes"))) -}}
{{- include "vsyncer.vc.problem" (dict "s" $s "text" (printf "%s.image: vsyncer runs the components' own images, not vCluster's bundle; give a mirror's as vanilla.{apiServer,controllerManager,scheduler,etcd}.image (the tag alone picks the Kubernetes version)" $at)) -}}
{{- end -}}
{{- else if $m.image -}}
{{- include "vsyncer.vc.problem" (dict "s" $s "text" (printf "%s.image: vsyncer runs the components' own images; set vanilla.{apiServer,controllerManager,scheduler}.image, or the version alone" $at)) -}}
{{- end -}}
{{- /* Before v0.25 each component named its own image (registry.k8s.io's): vsyncer's vanilla images. */ -}}
{{- range $component := list "apiServer" "controllerManager" "scheduler" -}}
{{- $c := get $m $component | default dict -}}
{{- if kindIs "map" $c -}}
{{- with include "vsyncer.vc.image" $c.image -}}
{{- include "vsyncer.vc.assign" (dict "s" $s "from" (printf "%s.%s.image" $at $component) "to" (printf "vanilla.%s.image" $component) "value" . "default" (printf "registry.k8s.io/%s:v1.37.2" (get (dict "apiServer" "kube-apiserver" "controllerManager" "kube-controller-manager" "scheduler" "kube-scheduler") $component))) -}}
{{- end -}}
{{- with $c.imagePullPolicy -}}
{{- include "vsyncer.vc.assign" (dict "s" $s "from" (printf "%s.%s.imagePullPolicy" $at $component) "to" "vanilla.imagePullPolicy" "value" . "default" "IfNotPresent") -}}
{{- end -}}
{{- end -}}
{{- end -}}
{{- $version := toString ($m.version | default "") -}}
{{- if and (not $version) (kindIs "map" $m.image) -}}
{{- $version = toString ($m.image.tag | default "") -}}
{{- end -}}
{{- if and $version (not (regexMatch "^v[0-9]+\\.[0-9]+\\.[0-9]+$" $version)) -}}
{{- include "vsyncer.vc.problem" (dict "s" $s "text" (printf "%s: %s is a tag of vCluster's own bundle, which registry.k8s.io's components do not have; give the Kubernetes version (v1.x.y), or their images as vanilla.{apiServer,controllerManager,scheduler}.image" (ternary (printf "%s.version" $at) (printf "%s.image.tag" $at) (not (empty $m.version))) $version)) -}}
{{- else if $version -}}
{{- range $component, $default := dict "apiServer" "registry.k8s.io/kube-apiserver:v1.37.2" "controllerManager" "registry.k8s.io/kube-controller-manager:v1.37.2" "scheduler" "registry.k8s.io/kube-scheduler:v1.37.2" -}}
{{- include "vsyncer.vc.assign" (dict "s" $s "from" (printf "%s.version" $at) "to" (printf "vanilla.%s.image" $component) "value" (printf "%s:%s" (first (splitList ":" $default)) $version) "default" $default) -}}
{{- end -}}
{{- end -}}
{{- range $component := list "apiServer" "controllerManager" "scheduler" -}}
{{- with get $m $component -}}
{{- $c := . -}}
{{- $cat := printf "%s.%s" $at $component -}}
{{- include "vsyncer.vc.keys" (dict "s" $s "at" $cat "m" $c "known" (list "enabled" "extraArgs" "image" "imagePullPolicy") "off" (list "command")) -}}
{{- if hasKey $c "enabled" -}}
{{- if eq $component "scheduler" -}}
{{- /* vCluster runs the scheduler when this or controlPlane.advanced.virtualScheduler is on: only true sets it. */ -}}
{{- if eq (toString $c.enabled) "true" -}}
{{- include "vsyncer.vc.assign" (dict "s" $s "from" (printf "%s.enabled" $cat) "to" "syncer.virtualScheduler" "value" true "default" false) -}}
{{- end -}}
{{- else -}}
{{- include "vsyncer.vc.only" (dict "s" $s "at" (printf "%s.enabled" $cat) "value" $c.enabled "allowed" (list "true") "why" "the vanilla control plane always runs it") -}}
{{- end -}}
{{- end -}}
{{- with $c.extraArgs -}}
{{- include "vsyncer.vc.assign" (dict "s" $s "from" (printf "%s.extraArgs" $cat) "to" (printf "vanilla.%s.extraArgs" $component) "value" . "default" list) -}}
{{- end -}}
{{- end -}}
{{- end -}}
{{- end -}}

{{/*
vCluster's defaults (its chart's values.yaml) where they are not empty: such a value in a vcluster.yaml
says nothing a user asked for, and sets nothing here (vsyncer.vc.assign's vcDefault).
*/}}
{{- define "vsyncer.vc.defaults" -}}
statefulSetResources:
  - limits: {ephemeral-storage: 10Gi, memory: 4Gi}
    requests: {ephemeral-storage: 1Gi, cpu: 200m, memory: 256Mi}
  - limits: {ephemeral-storage: 8Gi, memory: 2Gi}
    requests: {ephemeral-storage: 1Gi, cpu: 200m, memory: 256Mi}
  - limits: {ephemeral-storage: 8Gi, memory: 2Gi}
    requests: {ephemeral-storage: 400Mi, cpu: 200m, memory: 256Mi}
highAvailability: {leaseDuration: 60s, renewDeadline: 40s, retryPeriod: 15s}
corednsResources:
  limits: {cpu: 1000m, memory: 170Mi}
  requests: {cpu: 20m, memory: 64Mi}
corednsTopologySpreadConstraints:
  - maxSkew: 1
    topologyKey: kubernetes.io/hostname
    whenUnsatisfiable: DoNotSchedule
    labelSelector: {matchLabels: {k8s-app: vcluster-kube-dns}}
corednsTopologySpreadConstraintsBefore022:
  - maxSkew: 1
    topologyKey: kubernetes.io/hostname
    whenUnsatisfiable: DoNotSchedule
    labelSelector: {matchLabels: {k8s-app: kube-dns}}
{{- end -}}

{{/* values.yaml's resources (the chart cannot read its defaults back once a user's values are merged in). */}}
{{- define "vsyncer.vc.defaultResources" -}}
k3s: {requests: {cpu: 200m, memory: 256Mi}, limits: {memory: 2Gi}}
apiServer: {requests: {cpu: 200m, memory: 256Mi}, limits: {memory: 2Gi}}
{{- end -}}

{{/*
controlPlane.backingStore: an embedded store (vCluster's embedded database or embedded etcd) is what
vsyncer's control plane keeps on its data volume (persistence.*): k3s's, or the vanilla etcd. An
external database is k3s.datastore (vsyncer.vc.databaseExternal); a deployed etcd is deployedEtcd
(vsyncer.vc.deployedEtcd).
*/}}
{{- define "vsyncer.vc.backingStore" -}}
{{- $s := . -}}
{{- $b := $s.root.Values.controlPlane.backingStore -}}
{{- $at := "controlPlane.backingStore" -}}
{{- include "vsyncer.vc.keys" (dict "s" $s "at" $at "m" $b "known" (list "database" "etcd")) -}}
{{- with $b.database -}}
{{- include "vsyncer.vc.keys" (dict "s" $s "at" (printf "%s.database" $at) "m" . "known" (list "embedded" "external")) -}}
{{- with .embedded -}}
{{- include "vsyncer.vc.keys" (dict "s" $s "at" (printf "%s.database.embedded" $at) "m" . "known" (list "enabled") "off" (list "extraArgs")) -}}
{{- end -}}
{{- with .external -}}
{{- include "vsyncer.vc.databaseExternal" (dict "s" $s "m" . "at" (printf "%s.database.external" $at)) -}}
{{- end -}}
{{- end -}}
{{- with $b.etcd -}}
{{- include "vsyncer.vc.keys" (dict "s" $s "at" (printf "%s.etcd" $at) "m" . "known" (list "embedded" "deploy") "off" (list "external")) -}}
{{- with .embedded -}}
{{- include "vsyncer.vc.keys" (dict "s" $s "at" (printf "%s.etcd.embedded" $at) "m" . "known" (list "enabled") "off" (list "migrateFromDeployedEtcd" "extraArgs")) -}}
{{- end -}}
{{- with .deploy -}}
{{- include "vsyncer.vc.deployedEtcd" (dict "s" $s "m" .) -}}
{{- end -}}
{{- /* vCluster takes the embedded etcd when both are on; vsyncer would take the deployed one: said instead. */ -}}
{{- if and (eq (toString (dig "embedded" "enabled" false .)) "true") (eq (toString (dig "deploy" "enabled" false .)) "true") -}}
{{- include "vsyncer.vc.problem" (dict "s" $s "text" (printf "%s.etcd.embedded.enabled and %s.etcd.deploy.enabled are both on: choose one backing store" $at $at)) -}}
{{- end -}}
{{- end -}}
{{- end -}}

{{/*
controlPlane.backingStore.database.external: the data source k3s's own kine dials (k3s.datastore.endpoint,
kept by the chart in a Secret with a token) and its TLS files. What needs vCluster's platform (a
connector, cloud identity tokens) or its own kine process (extraArgs) is refused.
*/}}
{{- define "vsyncer.vc.databaseExternal" -}}
{{- $s := .s -}}
{{- $m := .m -}}
{{- $at := .at -}}
{{- include "vsyncer.vc.keys" (dict "s" $s "at" $at "m" $m "known" (list "enabled" "dataSource" "caFile" "certFile" "keyFile") "off" (list "connector" "identityProvider" "extraArgs")) -}}
{{- if eq (toString $m.enabled) "true" -}}
{{- if eq (toString $s.root.Values.controlPlane.distro) "vanilla" -}}
{{- include "vsyncer.vc.problem" (dict "s" $s "text" (printf "%s: an external database is k3s's in vsyncer (its kine), and these values run the vanilla control plane (controlPlane.distro.k8s, or a non-root controlPlane.statefulSet.security); its data is in etcd (controlPlane.backingStore.etcd.deploy for one apart)" $at)) -}}
{{- else if not $m.dataSource -}}
{{- include "vsyncer.vc.problem" (dict "s" $s "text" (printf "%s: give the data source as dataSource (a connector is vCluster's platform's); or a Secret of your own, with keys endpoint and token, as k3s.datastore.secretName" $at)) -}}
{{- else -}}
{{- include "vsyncer.vc.assign" (dict "s" $s "from" (printf "%s.dataSource" $at) "to" "k3s.datastore.endpoint" "value" (toString $m.dataSource) "default" "") -}}
{{- range $field := list "caFile" "certFile" "keyFile" -}}
{{- with get $m $field -}}
{{- include "vsyncer.vc.assign" (dict "s" $s "from" (printf "%s.%s" $at $field) "to" (printf "k3s.datastore.%s" $field) "value" (toString .) "default" "") -}}
{{- end -}}
{{- end -}}
{{- end -}}
{{- end -}}
{{- end -}}

{{/*
controlPlane.backingStore.etcd.deploy: an etcd StatefulSet beside the control plane, vsyncer's
deployedEtcd. What vCluster lets one change of it and vsyncer has not (extra volumes, env, security
contexts, its own claim templates, an etcd the admin runs in place of the StatefulSet) is refused
unless left at vCluster's defaults.
*/}}
{{- define "vsyncer.vc.deployedEtcd" -}}
{{- $s := .s -}}
{{- $m := .m -}}
{{- $at := "controlPlane.backingStore.etcd.deploy" -}}
{{- include "vsyncer.vc.keys" (dict "s" $s "at" $at "m" $m "known" (list "enabled" "statefulSet" "service" "headlessService")) -}}
{{- if hasKey $m "enabled" -}}
{{- include "vsyncer.vc.assign" (dict "s" $s "from" (printf "%s.enabled" $at) "to" "deployedEtcd.enabled" "value" (eq (toString $m.enabled) "true") "default" false "vcDefault" false) -}}
{{- end -}}
{{- with $m.statefulSet -}}
{{- $ss := . -}}
{{- $sat := printf "%s.statefulSet" $at -}}
{{- include "vsyncer.vc.keys" (dict "s" $s "at" $sat "m" $ss "known" (list "enabled" "labels" "annotations" "image" "imagePullPolicy" "extraArgs" "resources" "pods" "highAvailability" "scheduling" "persistence") "ignored" (list "enableServiceLinks") "off" (list "env" "security")) -}}
{{- if hasKey $ss "enabled" -}}
{{- include "vsyncer.vc.only" (dict "s" $s "at" (printf "%s.enabled" $sat) "value" $ss.enabled "allowed" (list "true") "why" "vsyncer runs the etcd it deploys (one of your own: k3s.datastore.secretName with its https endpoint, for k3s)") -}}
{{- end -}}
{{- range $field, $to := dict "labels" "labels" "annotations" "annotations" -}}
{{- if hasKey $ss $field -}}
{{- include "vsyncer.vc.assign" (dict "s" $s "from" (printf "%s.%s" $sat $field) "to" (printf "deployedEtcd.%s" $to) "value" (get $ss $field | default dict) "default" dict) -}}
{{- end -}}
{{- end -}}
{{- with $ss.pods -}}
{{- $p := . -}}
{{- include "vsyncer.vc.keys" (dict "s" $s "at" (printf "%s.pods" $sat) "m" $p "known" (list "labels" "annotations")) -}}
{{- range $field, $to := dict "labels" "podLabels" "annotations" "podAnnotations" -}}
{{- if hasKey $p $field -}}
{{- include "vsyncer.vc.assign" (dict "s" $s "from" (printf "%s.pods.%s" $sat $field) "to" (printf "deployedEtcd.%s" $to) "value" (get $p $field | default dict) "default" dict) -}}
{{- end -}}
{{- end -}}
{{- end -}}
{{- with include "vsyncer.vc.image" $ss.image -}}
{{- /* vCluster's default image is an etcd as good as vsyncer's: it sets nothing. */ -}}
{{- include "vsyncer.vc.assign" (dict "s" $s "from" (printf "%s.image" $sat) "to" "deployedEtcd.image" "value" . "default" "registry.k8s.io/etcd:3.7.0-0" "vcDefault" "registry.k8s.io/etcd:3.6.8-0") -}}
{{- end -}}
{{- with $ss.imagePullPolicy -}}
{{- include "vsyncer.vc.assign" (dict "s" $s "from" (printf "%s.imagePullPolicy" $sat) "to" "deployedEtcd.imagePullPolicy" "value" (toString .) "default" "IfNotPresent") -}}
{{- end -}}
{{- if hasKey $ss "extraArgs" -}}
{{- include "vsyncer.vc.assign" (dict "s" $s "from" (printf "%s.extraArgs" $sat) "to" "deployedEtcd.extraArgs" "value" ($ss.extraArgs | default list) "default" list) -}}
{{- end -}}
{{- with $ss.resources -}}
{{- include "vsyncer.vc.assign" (dict "s" $s "from" (printf "%s.resources" $sat) "to" "deployedEtcd.resources" "value" . "default" (dict "requests" (dict "cpu" "50m" "memory" "128Mi")) "vcDefault" (dict "requests" (dict "cpu" "20m" "memory" "150Mi"))) -}}
{{- end -}}
{{- with $ss.highAvailability -}}
{{- include "vsyncer.vc.keys" (dict "s" $s "at" (printf "%s.highAvailability" $sat) "m" . "known" (list "replicas")) -}}
{{- if hasKey . "replicas" -}}
{{- include "vsyncer.vc.assign" (dict "s" $s "from" (printf "%s.highAvailability.replicas" $sat) "to" "deployedEtcd.replicas" "value" (float64 .replicas) "default" (float64 1) "vcDefault" (float64 1)) -}}
{{- end -}}
{{- end -}}
{{- with $ss.scheduling -}}
{{- $sch := . -}}
{{- $scat := printf "%s.scheduling" $sat -}}
{{- include "vsyncer.vc.keys" (dict "s" $s "at" $scat "m" $sch "known" (list "nodeSelector" "affinity" "tolerations" "priorityClassName" "topologySpreadConstraints" "podManagementPolicy")) -}}
{{- if hasKey $sch "podManagementPolicy" -}}
{{- include "vsyncer.vc.only" (dict "s" $s "at" (printf "%s.podManagementPolicy" $scat) "value" $sch.podManagementPolicy "allowed" (list "Parallel") "why" "the members start together (none is ready before a quorum is up)") -}}
{{- end -}}
{{- range $field, $default := dict "nodeSelector" dict "affinity" dict "tolerations" list "topologySpreadConstraints" list "priorityClassName" "" -}}
{{- if hasKey $sch $field -}}
{{- include "vsyncer.vc.assign" (dict "s" $s "from" (printf "%s.%s" $scat $field) "to" (printf "deployedEtcd.%s" $field) "value" (get $sch $field | default $default) "default" $default) -}}
{{- end -}}
{{- end -}}
{{- end -}}
{{- with $ss.persistence -}}
{{- $pat := printf "%s.persistence" $sat -}}
{{- include "vsyncer.vc.keys" (dict "s" $s "at" $pat "m" . "known" (list "volumeClaim") "off" (list "volumeClaimTemplates" "addVolumes" "addVolumeMounts")) -}}
{{- with .volumeClaim -}}
{{- $vc := . -}}
{{- $vat := printf "%s.volumeClaim" $pat -}}
{{- include "vsyncer.vc.keys" (dict "s" $s "at" $vat "m" $vc "known" (list "enabled" "retentionPolicy" "size" "storageClass" "accessModes")) -}}
{{- if hasKey $vc "enabled" -}}
{{- include "vsyncer.vc.assign" (dict "s" $s "from" (printf "%s.enabled" $vat) "to" "deployedEtcd.persistence.enabled" "value" (eq (toString $vc.enabled) "true") "default" true "vcDefault" true) -}}
{{- end -}}
{{- if hasKey $vc "retentionPolicy" -}}
{{- include "vsyncer.vc.only" (dict "s" $s "at" (printf "%s.retentionPolicy" $vat) "value" $vc.retentionPolicy "allowed" (list "Retain" "Delete") "why" "what becomes of the members' claims on uninstall") -}}
{{- include "vsyncer.vc.assign" (dict "s" $s "from" (printf "%s.retentionPolicy" $vat) "to" "deployedEtcd.persistence.deleteOnUninstall" "value" (eq (toString $vc.retentionPolicy) "Delete") "default" false "vcDefault" false) -}}
{{- end -}}
{{- with $vc.size -}}
{{- include "vsyncer.vc.assign" (dict "s" $s "from" (printf "%s.size" $vat) "to" "deployedEtcd.persistence.size" "value" (toString .) "default" "5Gi") -}}
{{- end -}}
{{- with $vc.storageClass -}}
{{- include "vsyncer.vc.assign" (dict "s" $s "from" (printf "%s.storageClass" $vat) "to" "deployedEtcd.persistence.storageClassName" "value" (toString .) "default" "") -}}
{{- end -}}
{{- with $vc.accessModes -}}
{{- include "vsyncer.vc.assign" (dict "s" $s "from" (printf "%s.accessModes" $vat) "to" "deployedEtcd.persistence.accessModes" "value" . "default" (list "ReadWriteOnce") "vcDefault" (list "ReadWriteOnce")) -}}
{{- end -}}
{{- end -}}
{{- end -}}
{{- end -}}
{{- /* Both Services' annotations are deployedEtcd.serviceAnnotations: different ones are refused. */ -}}
{{- $annotations := dict -}}
{{- range $svc := list "service" "headlessService" -}}
{{- with get $m $svc -}}
{{- include "vsyncer.vc.keys" (dict "s" $s "at" (printf "%s.%s" $at $svc) "m" . "known" (list "annotations" "enabled")) -}}
{{- if hasKey . "enabled" -}}
{{- include "vsyncer.vc.only" (dict "s" $s "at" (printf "%s.%s.enabled" $at $svc) "value" .enabled "allowed" (list "true") "why" "the members and the control plane find each other through it") -}}
{{- end -}}
{{- with .annotations -}}{{- $_ := set $annotations $svc . -}}{{- end -}}
{{- end -}}
{{- end -}}
{{- if and (hasKey $annotations "service") (hasKey $annotations "headlessService") (not (deepEqual $annotations.service $annotations.headlessService)) -}}
{{- include "vsyncer.vc.problem" (dict "s" $s "text" (printf "%s.service.annotations and headlessService.annotations differ: vsyncer gives both Services the same (deployedEtcd.serviceAnnotations)" $at)) -}}
{{- else if $annotations -}}
{{- $which := ternary "service" "headlessService" (hasKey $annotations "service") -}}
{{- include "vsyncer.vc.assign" (dict "s" $s "from" (printf "%s.%s.annotations" $at $which) "to" "deployedEtcd.serviceAnnotations" "value" (get $annotations $which) "default" dict) -}}
{{- end -}}
{{- end -}}

{{/*
controlPlane.statefulSet: the control-plane pod. Its container's resources are the control plane's
(k3s.resources, or the vanilla API server's); its image is vCluster's own binary, which vsyncer does
not run (accepted, unused: vsyncer's images are syncer.image, k3s.image and vanilla.*.image), as are
its probes' timings (vsyncer probes its containers its own way; a probe turned off is refused) and
the volume for vCluster's binaries.
*/}}
{{- define "vsyncer.vc.statefulSet" -}}
{{- $s := . -}}
{{- $v := $s.root.Values -}}
{{- $ss := $v.controlPlane.statefulSet -}}
{{- $at := "controlPlane.statefulSet" -}}
{{- include "vsyncer.vc.keys" (dict "s" $s "at" $at "m" $ss "known" (list "labels" "annotations" "imagePullPolicy" "resources" "pods" "highAvailability" "security" "persistence" "enableServiceLinks" "scheduling" "probes" "env" "dnsPolicy" "dnsConfig") "ignored" (list "image") "off" (list "workingDir" "command" "args" "hostAliases" "initContainers" "sidecarContainers" "runtimeClassName")) -}}
{{- with $ss.dnsPolicy -}}
{{- include "vsyncer.vc.only" (dict "s" $s "at" (printf "%s.dnsPolicy" $at) "value" . "allowed" (list "ClusterFirst" "ClusterFirstWithHostNet" "Default" "None") "why" "a pod's DNS policy") -}}
{{- include "vsyncer.vc.assign" (dict "s" $s "from" (printf "%s.dnsPolicy" $at) "to" "controlPlane.dnsPolicy" "value" (toString .) "default" "") -}}
{{- end -}}
{{- if hasKey $ss "dnsConfig" -}}
{{- include "vsyncer.vc.assign" (dict "s" $s "from" (printf "%s.dnsConfig" $at) "to" "controlPlane.dnsConfig" "value" ($ss.dnsConfig | default dict) "default" dict) -}}
{{- end -}}
{{- if hasKey $ss "env" -}}
{{- include "vsyncer.vc.envNames" (dict "s" $s "at" (printf "%s.env" $at) "env" ((kindIs "slice" $ss.env) | ternary $ss.env list)) -}}
{{- $_ := set $s "statefulSetEnv" ($ss.env | default list) -}}
{{- end -}}
{{- range $field, $to := dict "labels" "controlPlane.labels" "annotations" "controlPlane.annotations" -}}
{{- if hasKey $ss $field -}}
{{- include "vsyncer.vc.assign" (dict "s" $s "from" (printf "%s.%s" $at $field) "to" $to "value" (get $ss $field | default dict) "default" dict) -}}
{{- end -}}
{{- end -}}
{{- with $ss.pods -}}
{{- $p := . -}}
{{- include "vsyncer.vc.keys" (dict "s" $s "at" (printf "%s.pods" $at) "m" $p "known" (list "labels" "annotations")) -}}
{{- range $field, $to := dict "labels" "controlPlane.podLabels" "annotations" "controlPlane.podAnnotations" -}}
{{- if hasKey $p $field -}}
{{- include "vsyncer.vc.assign" (dict "s" $s "from" (printf "%s.pods.%s" $at $field) "to" $to "value" (get $p $field | default dict) "default" dict) -}}
{{- end -}}
{{- end -}}
{{- end -}}
{{- with $ss.imagePullPolicy -}}
{{- $policy := . -}}
{{- range $to := list "k3s.imagePullPolicy" "vanilla.imagePullPolicy" "syncer.image.pullPolicy" -}}
{{- include "vsyncer.vc.assign" (dict "s" $s "from" (printf "%s.imagePullPolicy" $at) "to" $to "value" $policy "default" "IfNotPresent") -}}
{{- end -}}
{{- end -}}
{{- /* First: a non-root control plane picks the distro the resources go to. */ -}}
{{- with $ss.security -}}
{{- include "vsyncer.vc.security" (dict "s" $s "m" . "at" (printf "%s.security" $at)) -}}
{{- end -}}
{{- with $ss.resources -}}
{{- $vanilla := eq (toString $v.controlPlane.distro) "vanilla" -}}
{{- include "vsyncer.vc.assign" (dict "s" $s "from" (printf "%s.resources" $at) "to" (ternary "vanilla.apiServer.resources" "k3s.resources" $vanilla) "value" . "default" (get (include "vsyncer.vc.defaultResources" $s | fromYaml) (ternary "apiServer" "k3s" $vanilla)) "vcDefaults" (include "vsyncer.vc.defaults" $s | fromYaml).statefulSetResources) -}}
{{- end -}}
{{- with $ss.highAvailability -}}
{{- $ha := . -}}
{{- include "vsyncer.vc.keys" (dict "s" $s "at" (printf "%s.highAvailability" $at) "m" $ha "known" (list "replicas" "leaseDuration" "renewDeadline" "retryPeriod")) -}}
{{- if hasKey $ha "replicas" -}}
{{- include "vsyncer.vc.assign" (dict "s" $s "from" (printf "%s.highAvailability.replicas" $at) "to" "syncer.replicas" "value" (float64 $ha.replicas) "default" (float64 1) "vcDefault" (float64 1)) -}}
{{- end -}}
{{- /*
vCluster's are whole seconds; vsyncer's flags take durations. The three go together (the renew
deadline must be shorter than the lease): at vCluster's defaults all three set nothing, else each given one is set.
*/ -}}
{{- $leaseDefaults := (include "vsyncer.vc.defaults" $s | fromYaml).highAvailability -}}
{{- $atDefaults := true -}}
{{- range $field, $default := $leaseDefaults -}}
{{- if and (hasKey $ha $field) (ne (printf "%vs" (get $ha $field)) $default) -}}{{- $atDefaults = false -}}{{- end -}}
{{- end -}}
{{- range $field, $to := dict "leaseDuration" (list "syncer.leaderElectLeaseDuration" "15s") "renewDeadline" (list "syncer.leaderElectRenewDeadline" "10s") "retryPeriod" (list "syncer.leaderElectRetryPeriod" "2s") -}}
{{- if and (hasKey $ha $field) (not $atDefaults) -}}
{{- $seconds := get $ha $field -}}
{{- if not (and (has (kindOf $seconds) (list "int" "int64" "float64")) (eq (float64 $seconds) (float64 (int64 $seconds))) (gt (int64 $seconds) 0)) -}}
{{- include "vsyncer.vc.problem" (dict "s" $s "text" (printf "%s.highAvailability.%s must be a whole number of seconds, not %s" $at $field (toJson $seconds))) -}}
{{- else -}}
{{- include "vsyncer.vc.assign" (dict "s" $s "from" (printf "%s.highAvailability.%s" $at $field) "to" (first $to) "value" (printf "%ds" (int64 $seconds)) "default" (last $to)) -}}
{{- end -}}
{{- end -}}
{{- end -}}
{{- end -}}
{{- with $ss.persistence -}}
{{- include "vsyncer.vc.persistence" (dict "s" $s "m" .) -}}
{{- end -}}
{{- if hasKey $ss "enableServiceLinks" -}}
{{- include "vsyncer.vc.only" (dict "s" $s "at" (printf "%s.enableServiceLinks" $at) "value" $ss.enableServiceLinks "allowed" (list "true") "why" "the control plane reads its Service's address from the service links (<RELEASE>_SERVICE_HOST) for its certificate") -}}
{{- end -}}
{{- with $ss.scheduling -}}
{{- $sch := . -}}
{{- $sat := printf "%s.scheduling" $at -}}
{{- include "vsyncer.vc.keys" (dict "s" $s "at" $sat "m" $sch "known" (list "nodeSelector" "affinity" "tolerations" "priorityClassName" "topologySpreadConstraints" "podManagementPolicy")) -}}
{{- range $i, $c := ($sch.topologySpreadConstraints | default list) -}}
{{- if not (kindIs "map" $c) -}}
{{- include "vsyncer.vc.problem" (dict "s" $s "text" (printf "%s.topologySpreadConstraints[%d] must be a constraint (a map), not %s" $sat $i (toJson $c))) -}}
{{- end -}}
{{- end -}}
{{- range $field, $default := dict "nodeSelector" dict "affinity" dict "tolerations" list "topologySpreadConstraints" list "priorityClassName" "" -}}
{{- if hasKey $sch $field -}}
{{- include "vsyncer.vc.assign" (dict "s" $s "from" (printf "%s.%s" $sat $field) "to" (printf "controlPlane.%s" $field) "value" (get $sch $field | default $default) "default" $default) -}}
{{- end -}}
{{- end -}}
{{- if hasKey $sch "podManagementPolicy" -}}
{{- include "vsyncer.vc.only" (dict "s" $s "at" (printf "%s.podManagementPolicy" $sat) "value" $sch.podManagementPolicy "allowed" (list "Parallel" "OrderedReady") "why" "a StatefulSet's pod management policy") -}}
{{- include "vsyncer.vc.assign" (dict "s" $s "from" (printf "%s.podManagementPolicy" $sat) "to" "controlPlane.podManagementPolicy" "value" (toString $sch.podManagementPolicy) "default" "Parallel") -}}
{{- end -}}
{{- end -}}
{{- with $ss.probes -}}
{{- $probes := . -}}
{{- include "vsyncer.vc.keys" (dict "s" $s "at" (printf "%s.probes" $at) "m" $probes "known" (list "livenessProbe" "readinessProbe" "startupProbe")) -}}
{{- range $name, $probe := $probes -}}
{{- if kindIs "map" $probe -}}
{{- include "vsyncer.vc.keys" (dict "s" $s "at" (printf "%s.probes.%s" $at $name) "m" $probe "known" (list "enabled") "ignored" (list "failureThreshold" "initialDelaySeconds" "timeoutSeconds" "periodSeconds" "successThreshold")) -}}
{{- if hasKey $probe "enabled" -}}
{{- include "vsyncer.vc.only" (dict "s" $s "at" (printf "%s.probes.%s.enabled" $at $name) "value" $probe.enabled "allowed" (list "true") "why" "vsyncer always probes its containers") -}}
{{- end -}}
{{- end -}}
{{- end -}}
{{- end -}}
{{- end -}}

{{/*
controlPlane.statefulSet.security: the user, group and fsGroup the chart's non-root containers run as
(controlPlane.runAsUser, runAsGroup, fsGroup). vCluster's default (root, no privilege escalation) is
what vsyncer's k3s container runs as, and sets nothing. A non-root control plane (vCluster's rootless
mode, or the restricted profile: a read-only root, no capabilities, RuntimeDefault seccomp, which the
non-root containers have already) is the vanilla one: chosen when the values choose no distro
(vCluster's default is k8s), refused beside k3s. Anything else of a security context is refused.
*/}}
{{- define "vsyncer.vc.security" -}}
{{- $s := .s -}}
{{- $at := .at -}}
{{- $cp := $s.root.Values.controlPlane -}}
{{- include "vsyncer.vc.keys" (dict "s" $s "at" $at "m" .m "known" (list "containerSecurityContext" "podSecurityContext")) -}}
{{- $ids := dict -}}
{{- $nonRoot := false -}}
{{- /* What the chart's containers already are (vsyncer.restrictedContainer): asking for it changes nothing. */ -}}
{{- $already := dict "readOnlyRootFilesystem" (list "true") "privileged" (list "false") "capabilities" (list (toJson (dict "drop" (list "ALL")))) "seccompProfile" (list (toJson (dict "type" "RuntimeDefault"))) -}}
{{- range $context, $allowed := dict "podSecurityContext" (list "fsGroup" "runAsUser" "runAsGroup" "runAsNonRoot" "seccompProfile") "containerSecurityContext" (list "runAsUser" "runAsGroup" "runAsNonRoot" "allowPrivilegeEscalation" "readOnlyRootFilesystem" "privileged" "capabilities" "seccompProfile") -}}
{{- $m := get $.m $context | default dict -}}
{{- range $key := keys $m | sortAlpha -}}
{{- $value := get $m $key -}}
{{- $where := printf "%s.%s.%s" $at $context $key -}}
{{- if not (has $key $allowed) -}}
{{- include "vsyncer.vc.problem" (dict "s" $s "text" (printf "%s: vsyncer's containers have security contexts of their own (non-root, read-only root, no capabilities; k3s as root); it takes the user, group and fsGroup, runAsNonRoot: true and allowPrivilegeEscalation: false" $where)) -}}
{{- else if eq $key "allowPrivilegeEscalation" -}}
{{- include "vsyncer.vc.only" (dict "s" $s "at" $where "value" $value "allowed" (list "false") "why" "no container of the chart's gains privileges") -}}
{{- else if hasKey $already $key -}}
{{- $given := ternary (toJson $value) (toString $value) (kindIs "map" $value) -}}
{{- if not (has $given (get $already $key)) -}}
{{- include "vsyncer.vc.problem" (dict "s" $s "text" (printf "%s: vsyncer's non-root containers have %s %s (k3s's runs as root), and take no other, not %s" $where $key (first (get $already $key)) (toJson $value))) -}}
{{- else if ne $key "privileged" -}}
{{- /* The restricted profile asked for: the non-root control plane has it, k3s's container has not. */ -}}
{{- $nonRoot = true -}}
{{- end -}}
{{- else if eq $key "runAsNonRoot" -}}
{{- if eq (toString $value) "true" -}}{{- $nonRoot = true -}}{{- end -}}
{{- else if not (and (has (kindOf $value) (list "int" "int64" "float64")) (eq (float64 $value) (float64 (int64 $value))) (ge (int64 $value) 0)) -}}
{{- include "vsyncer.vc.problem" (dict "s" $s "text" (printf "%s must be a user or group ID, not %s" $where (toJson $value))) -}}
{{- else if and (eq (int64 $value) 0) (ne $key "fsGroup") -}}
{{- /* Root: vCluster's default, what k3s runs as. */ -}}
{{- else if and (hasKey $ids $key) (ne (int64 (get $ids $key)) (int64 $value)) -}}
{{- include "vsyncer.vc.problem" (dict "s" $s "text" (printf "%s.podSecurityContext.%s and containerSecurityContext.%s differ: vsyncer runs every non-root container as one" $at $key $key)) -}}
{{- else -}}
{{- $_ := set $ids $key (int64 $value) -}}
{{- end -}}
{{- end -}}
{{- end -}}
{{- if or $nonRoot (hasKey $ids "runAsUser") (hasKey $ids "runAsGroup") -}}
{{- if eq (toString $cp.distro) "k3s" -}}
{{- include "vsyncer.vc.problem" (dict "s" $s "text" (printf "%s: a non-root control plane is the vanilla one (controlPlane.distro.k8s); vsyncer's k3s container runs as root" $at)) -}}
{{- else -}}
{{- $_ := set $cp "distro" "vanilla" -}}
{{- end -}}
{{- end -}}
{{- range $key := keys $ids | sortAlpha -}}
{{- include "vsyncer.vc.assign" (dict "s" $s "from" (printf "%s.*.%s" $at $key) "to" (printf "controlPlane.%s" $key) "value" (get $ids $key) "default" (int64 65532)) -}}
{{- end -}}
{{- end -}}

{{/* controlPlane.statefulSet.persistence: the data volume (persistence.*). */}}
{{- define "vsyncer.vc.persistence" -}}
{{- $s := .s -}}
{{- $at := "controlPlane.statefulSet.persistence" -}}
{{- include "vsyncer.vc.keys" (dict "s" $s "at" $at "m" .m "known" (list "volumeClaim" "addVolumes" "addVolumeMounts" "dataVolume") "ignored" (list "binariesVolume") "off" (list "volumeClaimTemplates")) -}}
{{- with .m.dataVolume -}}
{{- /* vCluster adds these to the pod's volumes: one named data replaces the claim (with volumeClaim.enabled: false). */ -}}
{{- if not (and (kindIs "slice" .) (eq (len .) 1) (kindIs "map" (first .)) (eq (toString (first .).name) "data")) -}}
{{- include "vsyncer.vc.problem" (dict "s" $s "text" (printf "%s.dataVolume: one volume named data is taken (the control plane's data volume); vsyncer has no other" $at)) -}}
{{- else -}}
{{- include "vsyncer.vc.assign" (dict "s" $s "from" (printf "%s.dataVolume" $at) "to" "persistence.volume" "value" (omit (first .) "name") "default" dict) -}}
{{- include "vsyncer.vc.assign" (dict "s" $s "from" (printf "%s.dataVolume" $at) "to" "persistence.enabled" "value" false "default" true) -}}
{{- end -}}
{{- end -}}
{{- range $from, $to := dict "addVolumes" "controlPlane.extraVolumes" "addVolumeMounts" "controlPlane.extraVolumeMounts" -}}
{{- if hasKey $.m $from -}}
{{- include "vsyncer.vc.assign" (dict "s" $s "from" (printf "%s.%s" $at $from) "to" $to "value" (get $.m $from | default list) "default" list) -}}
{{- end -}}
{{- end -}}
{{- with .m.volumeClaim -}}
{{- $vc := . -}}
{{- $vat := printf "%s.volumeClaim" $at -}}
{{- include "vsyncer.vc.keys" (dict "s" $s "at" $vat "m" $vc "known" (list "enabled" "retentionPolicy" "size" "storageClass" "accessModes")) -}}
{{- /* auto (vCluster's default: a claim when the store is embedded) leaves vsyncer's, which is the same. */ -}}
{{- if and (hasKey $vc "enabled") (ne (toString $vc.enabled) "auto") -}}
{{- if kindIs "bool" $vc.enabled -}}
{{- include "vsyncer.vc.assign" (dict "s" $s "from" (printf "%s.enabled" $vat) "to" "persistence.enabled" "value" $vc.enabled "default" true) -}}
{{- else -}}
{{- include "vsyncer.vc.problem" (dict "s" $s "text" (printf "%s.enabled must be true, false or auto" $vat)) -}}
{{- end -}}
{{- end -}}
{{- if hasKey $vc "retentionPolicy" -}}
{{- include "vsyncer.vc.only" (dict "s" $s "at" (printf "%s.retentionPolicy" $vat) "value" $vc.retentionPolicy "allowed" (list "Retain" "Delete") "why" "the claim is kept or deleted on uninstall") -}}
{{- include "vsyncer.vc.assign" (dict "s" $s "from" (printf "%s.retentionPolicy" $vat) "to" "persistence.deleteOnUninstall" "value" (eq (toString $vc.retentionPolicy) "Delete") "default" false) -}}
{{- end -}}
{{- with $vc.size -}}
{{- include "vsyncer.vc.assign" (dict "s" $s "from" (printf "%s.size" $vat) "to" "persistence.size" "value" (toString .) "default" "5Gi" "vcDefault" "5Gi") -}}
{{- end -}}
{{- with $vc.storageClass -}}
{{- include "vsyncer.vc.assign" (dict "s" $s "from" (printf "%s.storageClass" $vat) "to" "persistence.storageClassName" "value" . "default" "") -}}
{{- end -}}
{{- with $vc.accessModes -}}
{{- $modes := list "ReadWriteOnce" "ReadOnlyMany" "ReadWriteMany" "ReadWriteOncePod" -}}
{{- $bad := list -}}
{{- range . -}}{{- if not (has (toString .) $modes) -}}{{- $bad = append $bad (toString .) -}}{{- end -}}{{- end -}}
{{- if $bad -}}
{{- include "vsyncer.vc.problem" (dict "s" $s "text" (printf "%s.accessModes: %s is not an access mode (%s)" $vat (join ", " $bad) (join ", " $modes))) -}}
{{- else -}}
{{- include "vsyncer.vc.assign" (dict "s" $s "from" (printf "%s.accessModes" $vat) "to" "persistence.accessModes" "value" . "default" (list "ReadWriteOnce") "vcDefault" (list "ReadWriteOnce")) -}}
{{- end -}}
{{- end -}}
{{- end -}}
{{- end -}}

{{/*
controlPlane.coredns: k3s deploys its own CoreDNS; the syncer deploys one with the vanilla control
plane (vanilla.coredns) or, with k3s, when pods fall back to the host's DNS (syncer.fallbackHostDns):
that one takes `enabled` (vanilla) and the image. Either is made once and then left to be edited in the
virtual kube-system, so its placement, resources, Service and security are not values here: refused
unless empty or vCluster's defaults, as are more replicas, a CoreDNS in the control-plane pod and
replaced manifests.
*/}}
{{- define "vsyncer.vc.coredns" -}}
{{- $s := . -}}
{{- $v := $s.root.Values -}}
{{- $c := $v.controlPlane.coredns -}}
{{- $at := "controlPlane.coredns" -}}
{{- $vanilla := eq (toString $v.controlPlane.distro) "vanilla" -}}
{{- $syncers := or (and $vanilla $v.vanilla.coredns.enabled) (and (not $vanilla) (not (empty $v.syncer.fallbackHostDns))) -}}
{{- $edit := "edit the coredns Deployment in the virtual kube-system instead" -}}
{{- include "vsyncer.vc.keys" (dict "s" $s "at" $at "m" $c "known" (list "enabled" "deployment" "service" "security") "off" (list "embedded" "overwriteManifests" "overwriteConfig" "priorityClassName")) -}}
{{- if hasKey $c "enabled" -}}
{{- if $vanilla -}}
{{- include "vsyncer.vc.assign" (dict "s" $s "from" (printf "%s.enabled" $at) "to" "vanilla.coredns.enabled" "value" $c.enabled "default" true) -}}
{{- else -}}
{{- include "vsyncer.vc.only" (dict "s" $s "at" (printf "%s.enabled" $at) "value" $c.enabled "allowed" (list "true") "why" "k3s deploys its CoreDNS (k3s.extraArgs --disable=coredns turns it off)") -}}
{{- end -}}
{{- end -}}
{{- with $c.deployment -}}
{{- $dep := . -}}
{{- $dat := printf "%s.deployment" $at -}}
{{- include "vsyncer.vc.keys" (dict "s" $s "at" $dat "m" $dep "known" (list "image" "replicas" "resources" "topologySpreadConstraints") "off" (list "annotations" "labels" "pods" "nodeSelector" "affinity" "tolerations")) -}}
{{- with $dep.image -}}
{{- if $syncers -}}
{{- include "vsyncer.vc.assign" (dict "s" $s "from" (printf "%s.image" $dat) "to" "vanilla.coredns.image" "value" (toString .) "default" "registry.k8s.io/coredns/coredns:v1.12.1") -}}
{{- else -}}
{{- include "vsyncer.vc.problem" (dict "s" $s "text" (printf "%s.image: k3s deploys its own CoreDNS image; %s" $dat $edit)) -}}
{{- end -}}
{{- end -}}
{{- if hasKey $dep "replicas" -}}
{{- include "vsyncer.vc.only" (dict "s" $s "at" (printf "%s.replicas" $dat) "value" $dep.replicas "allowed" (list "1") "why" (printf "the DNS starts with one replica; %s" $edit)) -}}
{{- end -}}
{{- range $field, $default := dict "resources" "corednsResources" "topologySpreadConstraints" "corednsTopologySpreadConstraints" -}}
{{- $value := get $dep $field -}}
{{- $defaults := include "vsyncer.vc.defaults" $s | fromYaml -}}
{{- if not (or (empty $value) (deepEqual $value (get $defaults $default)) (deepEqual $value (get $defaults (printf "%sBefore022" $default)))) -}}
{{- include "vsyncer.vc.problem" (dict "s" $s "text" (printf "%s.%s: the DNS is deployed with its own (vCluster's default is accepted); %s" $dat $field $edit)) -}}
{{- end -}}
{{- end -}}
{{- end -}}
{{- with $c.service -}}
{{- $svc := . -}}
{{- include "vsyncer.vc.keys" (dict "s" $s "at" (printf "%s.service" $at) "m" $svc "known" (list "spec") "off" (list "annotations" "labels")) -}}
{{- if not (or (empty $svc.spec) (deepEqual $svc.spec (dict "type" "ClusterIP"))) -}}
{{- include "vsyncer.vc.problem" (dict "s" $s "text" (printf "%s.service.spec: the DNS Service is a ClusterIP Service (vCluster's default spec only is accepted); edit the kube-dns Service in the virtual kube-system instead" $at)) -}}
{{- end -}}
{{- end -}}
{{- with $c.security -}}
{{- include "vsyncer.vc.keys" (dict "s" $s "at" (printf "%s.security" $at) "m" . "known" (list) "off" (list "podSecurityContext" "containerSecurityContext")) -}}
{{- end -}}
{{- end -}}

{{/*
controlPlane's other vCluster keys: its Service's `enabled` and `kubeletNodePort`, the proxy's port
(which the pod's API passthrough listens on), the ServiceMonitor.
*/}}
{{- define "vsyncer.vc.controlPlaneRest" -}}
{{- $s := . -}}
{{- $v := $s.root.Values -}}
{{- $cp := $v.controlPlane -}}
{{- with $cp.service -}}
{{- if hasKey . "enabled" -}}
{{- include "vsyncer.vc.only" (dict "s" $s "at" "controlPlane.service.enabled" "value" .enabled "allowed" (list "true") "why" "the chart always makes the Service: synced pods reach the virtual API server through it") -}}
{{- $_ := unset . "enabled" -}}
{{- end -}}
{{- if hasKey . "kubeletNodePort" -}}
{{- include "vsyncer.vc.only" (dict "s" $s "at" "controlPlane.service.kubeletNodePort" "value" (int .kubeletNodePort) "allowed" (list "0") "why" "the Service exposes the API server only") -}}
{{- $_ := unset . "kubeletNodePort" -}}
{{- end -}}
{{- end -}}
{{- with $cp.serviceMonitor -}}
{{- $sm := . -}}
{{- include "vsyncer.vc.keys" (dict "s" $s "at" "controlPlane.serviceMonitor" "m" $sm "known" (list "enabled" "labels") "off" (list "annotations")) -}}
{{- if hasKey $sm "enabled" -}}
{{- include "vsyncer.vc.assign" (dict "s" $s "from" "controlPlane.serviceMonitor.enabled" "to" "metrics.serviceMonitor.enabled" "value" $sm.enabled "default" false) -}}
{{- end -}}
{{- if hasKey $sm "labels" -}}
{{- include "vsyncer.vc.assign" (dict "s" $s "from" "controlPlane.serviceMonitor.labels" "to" "metrics.serviceMonitor.labels" "value" ($sm.labels | default dict) "default" dict) -}}
{{- end -}}
{{- end -}}
{{- end -}}

{{/*
integrations.certManager and integrations.externalSecrets: each as vCluster writes it (the syncer's
config file takes the same keys), to syncer.config.integrations.<name> when enabled, which the Role
and ClusterRole follow (vsyncer.integrations). Off (vCluster's default: enabled false, the rest at
its defaults) one sets nothing; a key vCluster's section has not fails, naming it, whether on or
off, and so does, while on, what the syncer refuses (vsyncer.<name>Problems).
Call with (dict "s" $s "name" "certManager"|"externalSecrets" "m" section).
*/}}
{{- define "vsyncer.vc.integration" -}}
{{- $s := .s -}}
{{- $m := .m -}}
{{- $at := printf "integrations.%s" .name -}}
{{- $problems := include (printf "vsyncer.%sProblems" .name) (dict "m" $m "at" $at "unknown" "vsyncer has no equivalent of this key") | fromJsonArray -}}
{{- range $problems -}}
{{- include "vsyncer.vc.problem" (dict "s" $s "text" .) -}}
{{- end -}}
{{- if and (not $problems) (kindIs "map" $m) -}}
{{- if eq (toString $m.enabled) "true" -}}
{{- include "vsyncer.vc.assign" (dict "s" $s "from" $at "to" (printf "syncer.config.integrations.%s" .name) "value" $m "default" dict) -}}
{{- end -}}
{{- end -}}
{{- end -}}

{{/*
vCluster's top-level sections beside sync, networking and policies. Private nodes being off, what
vCluster deploys onto them (deploy.cni, kubeProxy, localPathProvisioner) and their telemetry, Docker
mode and the CLI's telemetry switch do nothing in either chart: accepted.
*/}}
{{- define "vsyncer.vc.topLevel" -}}
{{- $s := . -}}
{{- $v := $s.root.Values -}}
{{- with $v.integrations -}}
{{- $i := . -}}
{{- include "vsyncer.vc.keys" (dict "s" $s "at" "integrations" "m" $i "known" (list "metricsServer" "certManager" "externalSecrets") "off" (list "kubeVirt" "istio" "netris" "argoCD")) -}}
{{- with $i.metricsServer -}}
{{- $ms := . -}}
{{- include "vsyncer.vc.keys" (dict "s" $s "at" "integrations.metricsServer" "m" $ms "known" (list "enabled" "nodes" "pods")) -}}
{{- if hasKey $ms "enabled" -}}
{{- include "vsyncer.vc.assign" (dict "s" $s "from" "integrations.metricsServer.enabled" "to" "syncer.metricsServerProxy.enabled" "value" $ms.enabled "default" false) -}}
{{- end -}}
{{- range $field := list "nodes" "pods" -}}
{{- if and $ms.enabled (hasKey $ms $field) -}}
{{- include "vsyncer.vc.only" (dict "s" $s "at" (printf "integrations.metricsServer.%s" $field) "value" (get $ms $field) "allowed" (list "true") "why" "vsyncer's metrics API serves both nodes and pods") -}}
{{- end -}}
{{- end -}}
{{- end -}}
{{- range $name := list "certManager" "externalSecrets" -}}
{{- with and (kindIs "map" $i) (get $i $name) -}}
{{- include "vsyncer.vc.integration" (dict "s" $s "name" $name "m" .) -}}
{{- end -}}
{{- end -}}
{{- end -}}
{{- with $v.experimental -}}
{{- $e := . -}}
{{- include "vsyncer.vc.keys" (dict "s" $s "at" "experimental" "m" $e "known" (list "deploy" "syncSettings") "ignored" (list "docker") "off" (list "proxy" "nodeMonitors" "virtualClusterKubeConfig" "denyProxyRequests" "multiNamespaceMode" "isolatedControlPlane" "genericSync" "reuseNamespace")) -}}
{{- with $e.syncSettings -}}
{{- include "vsyncer.vc.keys" (dict "s" $s "at" "experimental.syncSettings" "m" . "known" (list "setOwner") "off" (list "hostMetricsBindAddress" "virtualMetricsBindAddress" "syncLabels" "disableSync" "rewriteKubernetesService" "targetNamespace")) -}}
{{- if hasKey . "setOwner" -}}
{{- include "vsyncer.vc.assign" (dict "s" $s "from" "experimental.syncSettings.setOwner" "to" "syncer.setOwner" "value" .setOwner "default" true "vcDefault" true) -}}
{{- end -}}
{{- end -}}
{{- with $e.deploy -}}
{{- include "vsyncer.vc.keys" (dict "s" $s "at" "experimental.deploy" "m" . "known" (list "vcluster") "off" (list "host")) -}}
{{- with .vcluster -}}
{{- include "vsyncer.vc.keys" (dict "s" $s "at" "experimental.deploy.vcluster" "m" . "known" (list "manifests" "manifestsTemplate") "off" (list "helm")) -}}
{{- with .manifests -}}
{{- include "vsyncer.vc.assign" (dict "s" $s "from" "experimental.deploy.vcluster.manifests" "to" "initManifests" "value" . "default" "") -}}
{{- end -}}
{{- with .manifestsTemplate -}}
{{- /* Rendered as vCluster renders it: .Values are the vcluster.yaml's (as given), .Release its name and namespace. */ -}}
{{- $context := dict "Values" $s.original "Release" (dict "Name" $s.root.Release.Name "Namespace" $s.root.Release.Namespace) "Template" $s.root.Template -}}
{{- $_ := set $s.root.Values "_vclusterManifests" (tpl . $context) -}}
{{- end -}}
{{- end -}}
{{- end -}}
{{- end -}}
{{- with $v.deploy -}}
{{- include "vsyncer.vc.keys" (dict "s" $s "at" "deploy" "m" . "known" (list) "ignored" (list "localPathProvisioner" "cni" "kubeProxy") "off" (list "metallb" "ingressNginx" "metricsServer" "csi" "volumeSnapshotController" "argoCD")) -}}
{{- end -}}
{{- with $v.logging -}}
{{- include "vsyncer.vc.keys" (dict "s" $s "at" "logging" "m" . "known" (list "encoding") "off" (list "file")) -}}
{{- with .encoding -}}
{{- include "vsyncer.vc.only" (dict "s" $s "at" "logging.encoding" "value" . "allowed" (list "console" "json") "why" "the syncer logs text or JSON") -}}
{{- include "vsyncer.vc.assign" (dict "s" $s "from" "logging.encoding" "to" "syncer.logFormat" "value" (ternary "json" "text" (eq (toString .) "json")) "default" "json" "vcDefault" "text") -}}
{{- end -}}
{{- end -}}
{{- with $v.rbac -}}
{{- $r := . -}}
{{- /* enableVolumeSnapshotRules (v0.30-v0.35): vsyncer's RBAC follows the volumesnapshots kind. */ -}}
{{- include "vsyncer.vc.keys" (dict "s" $s "at" "rbac" "m" $r "known" (list "role" "clusterRole") "ignored" (list "enableVolumeSnapshotRules")) -}}
{{- range $name := list "role" "clusterRole" -}}
{{- with get $r $name -}}
{{- include "vsyncer.vc.keys" (dict "s" $s "at" (printf "rbac.%s" $name) "m" . "known" (list "enabled" "extraRules") "off" (list "overwriteRules")) -}}
{{- if hasKey . "enabled" -}}
{{- if eq (toString .enabled) "false" -}}
{{- include "vsyncer.vc.assign" (dict "s" $s "from" (printf "rbac.%s.enabled" $name) "to" (ternary "syncer.hostRole" "syncer.hostClusterRole" (eq $name "role")) "value" false "default" true) -}}
{{- else -}}
{{- include "vsyncer.vc.only" (dict "s" $s "at" (printf "rbac.%s.enabled" $name) "value" .enabled "allowed" (ternary (list "true") (list "true" "auto") (eq $name "role")) "why" "vsyncer derives its RBAC from the kinds it syncs (more rules are syncer.customResourceRules)") -}}
{{- end -}}
{{- end -}}
{{- if hasKey . "extraRules" -}}
{{- $to := printf "syncer.customResourceRules.%s" (ternary "namespace" "cluster" (eq $name "role")) -}}
{{- include "vsyncer.vc.assign" (dict "s" $s "from" (printf "rbac.%s.extraRules" $name) "to" $to "value" (.extraRules | default list) "default" list) -}}
{{- end -}}
{{- end -}}
{{- end -}}
{{- end -}}
{{- with $v.telemetry -}}
{{- /* vCluster's CLI and syncer report usage when on; vsyncer sends none either way. */ -}}
{{- include "vsyncer.vc.keys" (dict "s" $s "at" "telemetry" "m" . "known" (list "enabled")) -}}
{{- end -}}
{{- with $v.privateNodes -}}
{{- if not (include "vsyncer.vc.isOff" .) -}}
{{- include "vsyncer.vc.problem" (dict "s" $s "text" "privateNodes: vsyncer has no private nodes; only enabled: false is accepted") -}}
{{- end -}}
{{- end -}}
{{- end -}}
