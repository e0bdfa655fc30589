{{/*
The vanilla control plane (controlPlane.distro=vanilla): etcd, kube-apiserver and
kube-controller-manager from the upstream images, one container each, talking over the pod's
loopback, with the credentials of templates/vanilla-pki.yaml. What k3s does in one process, with the
same API server settings as the k3s container (port 6443, no endpoint reconciler: the syncer keeps
the virtual `kubernetes` Service; the syncer as the nodes' kubelet) and the same controllers off (the
virtual cluster has no nodes of its own).
*/}}
{{- define "vsyncer.vanillaSidecars" -}}
{{- $v := .Values.vanilla -}}
{{- if not .Values.deployedEtcd.enabled }}
- name: etcd
  # A sidecar (an init container that keeps running): the pod's containers start after it.
  restartPolicy: Always
  image: {{ include "vsyncer.image" (dict "root" $ "image" $v.etcd.image) | quote }}
  imagePullPolicy: {{ $v.imagePullPolicy | quote }}
  command: [/usr/local/bin/etcd]
  args:
    - --name=default
    - --data-dir=/data/etcd
    - --listen-client-urls=http://127.0.0.1:2379
    - --advertise-client-urls=http://127.0.0.1:2379
    - --listen-peer-urls=http://127.0.0.1:2380
    - --initial-advertise-peer-urls=http://127.0.0.1:2380
    - --initial-cluster=default=http://127.0.0.1:2380
    - --listen-metrics-urls=http://127.0.0.1:2381
    {{- range $v.etcd.extraArgs }}
    - {{ . | quote }}
    {{- end }}
  securityContext: {{- include "vsyncer.restrictedContainer" . | nindent 4 }}
  resources: {{- toYaml $v.etcd.resources | nindent 4 }}
  volumeMounts:
    - {name: data, mountPath: /data}
{{- end }}
- name: kube-apiserver
  # A sidecar whose startup probe holds back the containers: the controller manager exits when it
  # starts before the API server has made its RBAC roles (and then waits out a restart back-off).
  restartPolicy: Always
  image: {{ include "vsyncer.image" (dict "root" $ "image" $v.apiServer.image) | quote }}
  imagePullPolicy: {{ $v.imagePullPolicy | quote }}
  command: [/usr/local/bin/kube-apiserver]
  args:
    {{- if .Values.deployedEtcd.enabled }}
    # The deployed etcd (templates/deployed-etcd.yaml), every member, with the client certificate
    # only this pod has.
    - {{ printf "--etcd-servers=%s" (include "vsyncer.etcdClientUrls" .) | quote }}
    - --etcd-cafile=/etc/vsyncer/etcd/ca.crt
    - --etcd-certfile=/etc/vsyncer/etcd/client.crt
    - --etcd-keyfile=/etc/vsyncer/etcd/client.key
    {{- else }}
    - --etcd-servers=http://127.0.0.1:2379
    {{- end }}
    - --secure-port=6443
    - --tls-cert-file=/etc/vsyncer/serving/apiserver.crt
    - --tls-private-key-file=/etc/vsyncer/serving/apiserver.key
    - --token-auth-file=/etc/vsyncer/pki/tokens.csv
    # Client certificates of the chart's CA authenticate too; the controller manager's delegated
    # authentication reads this CA from the extension-apiserver-authentication ConfigMap.
    - --client-ca-file=/etc/vsyncer/pki/ca.crt
    - {{ printf "--service-account-issuer=https://kubernetes.default.svc.%v" .Values.k3s.clusterDomain | quote }}
    - --service-account-key-file=/etc/vsyncer/pki/sa.key
    - --service-account-signing-key-file=/etc/vsyncer/pki/sa.key
    - {{ printf "--service-cluster-ip-range=%v" .Values.k3s.serviceCIDR | quote }}
    - --authorization-mode=RBAC
    - --allow-privileged=true
    - --endpoint-reconciler-type=none
    - --profiling=false
    # The aggregation layer (APIServices): templates/vanilla-pki.yaml's front proxy.
    - --requestheader-client-ca-file=/etc/vsyncer/pki/front-proxy-ca.crt
    - --requestheader-allowed-names=front-proxy-client
    - --requestheader-username-headers=X-Remote-User
    - --requestheader-group-headers=X-Remote-Group
    - --requestheader-extra-headers-prefix=X-Remote-Extra-
    - --proxy-client-cert-file=/etc/vsyncer/pki/front-proxy-client.crt
    - --proxy-client-key-file=/etc/vsyncer/pki/front-proxy-client.key
    {{- if .Values.syncer.kubelet.enabled }}
    # The nodes' kubelet serves a certificate of the cluster CA (init container kubelet-cert), as a
    # real kubelet's comes from the kubelet-serving signer: what metrics-server checks by default.
    - --kubelet-certificate-authority=/etc/vsyncer/pki/ca.crt
    - --kubelet-client-certificate=/etc/vsyncer/kubelet/client.crt
    - --kubelet-client-key=/etc/vsyncer/kubelet/client.key
    - --kubelet-preferred-address-types=InternalIP
    {{- end }}
    {{- range $v.apiServer.extraArgs }}
    - {{ . | quote }}
    {{- end }}
  ports:
    - {name: https, containerPort: 6443, protocol: TCP}
  startupProbe:
    httpGet: {path: /readyz, port: 6443, scheme: HTTPS}
    periodSeconds: 1
    failureThreshold: 300
  readinessProbe:
    httpGet: {path: /readyz, port: 6443, scheme: HTTPS}
    periodSeconds: 5
  livenessProbe:
    httpGet: {path: /livez, port: 6443, scheme: HTTPS}
    initialDelaySeconds: 30
    periodSeconds: 10
    failureThreshold: 10
  {{- with include "vsyncer.extraEnv" . }}
  env: {{- . | nindent 4 }}
  {{- end }}
  securityContext: {{- include "vsyncer.restrictedContainer" . | nindent 4 }}
  resources: {{- toYaml $v.apiServer.resources | nindent 4 }}
  volumeMounts:
    - {name: pki, mountPath: /etc/vsyncer/pki, readOnly: true}
    - {name: serving-cert, mountPath: /etc/vsyncer/serving, readOnly: true}
    {{- if .Values.syncer.kubelet.enabled }}
    - {name: kubelet-client, mountPath: /etc/vsyncer/kubelet, readOnly: true}
    {{- end }}
    {{- if .Values.deployedEtcd.enabled }}
    - {name: etcd-client, mountPath: /etc/vsyncer/etcd, readOnly: true}
    {{- end }}
    {{- with include "vsyncer.extraVolumeMounts" . }}
    {{- . | nindent 4 }}
    {{- end }}
{{- end -}}

{{- define "vsyncer.vanillaContainers" -}}
{{- $v := .Values.vanilla -}}
- name: kube-controller-manager
  image: {{ include "vsyncer.image" (dict "root" $ "image" $v.controllerManager.image) | quote }}
  imagePullPolicy: {{ $v.imagePullPolicy | quote }}
  command: [/usr/local/bin/kube-controller-manager]
  args:
    - --kubeconfig=/etc/vsyncer/pki/controller-manager.conf
    - --authentication-kubeconfig=/etc/vsyncer/pki/controller-manager.conf
    - --authorization-kubeconfig=/etc/vsyncer/pki/controller-manager.conf
    - --bind-address=127.0.0.1
    - --secure-port=10257
    # One at a time when replicas share a deployed etcd; alone, a lease would only delay its start.
    - {{ printf "--leader-elect=%v" (gt (int .Values.syncer.replicas) 1) | quote }}
    - --service-account-private-key-file=/etc/vsyncer/pki/sa.key
    - --root-ca-file=/etc/vsyncer/pki/ca.crt
    - --cluster-signing-cert-file=/etc/vsyncer/pki/ca.crt
    - --cluster-signing-key-file=/etc/vsyncer/pki/ca.key
    - --use-service-account-credentials=true
    - {{ printf "--service-cluster-ip-range=%v" .Values.k3s.serviceCIDR | quote }}
    # k3s's list (templates/statefulset.yaml) in this release's names; cloud-node-lifecycle is no longer here.
    - --controllers=*,-node-ipam-controller,-node-lifecycle-controller,-persistentvolume-binder-controller,-persistentvolume-attach-detach-controller,-persistentvolume-expander-controller,-ttl-controller
    {{- range $v.controllerManager.extraArgs }}
    - {{ . | quote }}
    {{- end }}
  {{- with include "vsyncer.extraEnv" . }}
  env: {{- . | nindent 4 }}
  {{- end }}
  securityContext: {{- include "vsyncer.restrictedContainer" . | nindent 4 }}
  resources: {{- toYaml $v.controllerManager.resources | nindent 4 }}
  volumeMounts:
    - {name: pki, mountPath: /etc/vsyncer/pki, readOnly: true}
    {{- with include "vsyncer.extraVolumeMounts" . }}
    {{- . | nindent 4 }}
    {{- end }}
{{- if .Values.syncer.virtualScheduler }}
# The virtual scheduler (syncer.virtualScheduler), as k3s runs its own when not disabled.
- name: kube-scheduler
  image: {{ include "vsyncer.image" (dict "root" $ "image" $v.scheduler.image) | quote }}
  imagePullPolicy: {{ $v.imagePullPolicy | quote }}
  command: [/usr/local/bin/kube-scheduler]
  args:
    - --kubeconfig=/etc/vsyncer/pki/scheduler.conf
    - --authentication-kubeconfig=/etc/vsyncer/pki/scheduler.conf
    - --authorization-kubeconfig=/etc/vsyncer/pki/scheduler.conf
    - --bind-address=127.0.0.1
    - --secure-port=10259
    # One at a time when replicas share a deployed etcd; alone, a lease would only delay its start.
    - {{ printf "--leader-elect=%v" (gt (int .Values.syncer.replicas) 1) | quote }}
    {{- range $v.scheduler.extraArgs }}
    - {{ . | quote }}
    {{- end }}
  {{- with include "vsyncer.extraEnv" . }}
  env: {{- . | nindent 4 }}
  {{- end }}
  securityContext: {{- include "vsyncer.restrictedContainer" . | nindent 4 }}
  resources: {{- toYaml $v.scheduler.resources | nindent 4 }}
  volumeMounts:
    # Its kubeconfig only, not the CA's and signing keys of the rest of <release>-pki.
    - {name: scheduler-kubeconfig, mountPath: /etc/vsyncer/pki, readOnly: true}
    {{- with include "vsyncer.extraVolumeMounts" . }}
    {{- . | nindent 4 }}
    {{- end }}
{{- end }}
{{- end -}}

{{/*
Certificates issued at each pod start by the syncer image (`vsyncer issue-cert`) from the chart's CAs,
for addresses known only then. The kubelet API's serving certificate names the pod's IP, which the
virtual nodes advertise; with the vanilla control plane it comes from the cluster CA (which
metrics-server and other kubelet clients trust), with k3s from the chart's kubelet CA. The vanilla API server's names the cluster IP of the release's Service, which
pods dial as the virtual `kubernetes` Service (the syncer gives that Service the host's IP) and verify;
that IP exists only once the Service does, and the kubelet hands it to the pod as <SERVICE>_SERVICE_HOST.
*/}}
{{- define "vsyncer.certInitContainers" -}}
{{- $svc := include "vsyncer.name" . -}}
{{- $ns := .Release.Namespace -}}
{{- $domain := .Values.k3s.clusterDomain -}}
{{- if .Values.syncer.kubelet.enabled }}
{{- /* The vanilla control plane's own CA is here; k3s makes its CA itself, when it starts. */}}
{{- $ca := ternary "/etc/vsyncer/pki" "/etc/vsyncer/kubelet" (eq (include "vsyncer.distro" .) "vanilla") }}
- name: kubelet-cert
  {{- include "vsyncer.issueCertContainer" . | nindent 2 }}
  args:
    - issue-cert
    - {{ printf "--ca-cert=%v/ca.crt" $ca | quote }}
    - {{ printf "--ca-key=%v/ca.key" $ca | quote }}
    - --common-name=vsyncer-kubelet
    - --dns-name=localhost
    - --ip-address=127.0.0.1
    - --ip-address=$(POD_IP)
    - --valid-days=3650
    - --cert-out=/etc/vsyncer/serving/kubelet.crt
    - --key-out=/etc/vsyncer/serving/kubelet.key
  volumeMounts:
    {{- if eq (include "vsyncer.distro" .) "vanilla" }}
    - {name: pki, mountPath: /etc/vsyncer/pki, readOnly: true}
    {{- else }}
    - {name: kubelet-tls, mountPath: /etc/vsyncer/kubelet, readOnly: true}
    {{- end }}
    - {name: serving-cert, mountPath: /etc/vsyncer/serving}
{{- end }}
{{- if eq (include "vsyncer.distro" .) "vanilla" }}
- name: apiserver-cert
  {{- include "vsyncer.issueCertContainer" . | nindent 2 }}
  args:
    - issue-cert
    - --ca-cert=/etc/vsyncer/pki/ca.crt
    - --ca-key=/etc/vsyncer/pki/ca.key
    - --common-name=kube-apiserver
    - {{ printf "--dns-name=localhost,%v,%v.%v,%v.%v.svc,%v.%v.svc.%v" $svc $svc $ns $svc $ns $svc $ns $domain | quote }}
    - {{ printf "--dns-name=kubernetes,kubernetes.default,kubernetes.default.svc,kubernetes.default.svc.%v" $domain | quote }}
    {{- range splitList "\n" (include "vsyncer.extraSANs" .) | compact }}
    - {{ printf "--%v=%v" (ternary "ip-address" "dns-name" (eq (include "vsyncer.isIP" .) "true")) . | quote }}
    {{- end }}
    - --ip-address=127.0.0.1
    - {{ printf "--ip-address=$(%v)" (include "vsyncer.serviceHostEnv" .) | quote }}
    - --valid-days=3650
    - --cert-out=/etc/vsyncer/serving/apiserver.crt
    - --key-out=/etc/vsyncer/serving/apiserver.key
  volumeMounts:
    - {name: pki, mountPath: /etc/vsyncer/pki, readOnly: true}
    - {name: serving-cert, mountPath: /etc/vsyncer/serving}
{{- end }}
{{- end -}}

{{/* What the certificate init containers share: the syncer image, the pod IP, no privileges. */}}
{{- define "vsyncer.issueCertContainer" -}}
image: {{ include "vsyncer.syncerImage" . | quote }}
imagePullPolicy: {{ .Values.syncer.image.pullPolicy | quote }}
env:
  - name: POD_IP
    valueFrom: {fieldRef: {fieldPath: status.podIP}}
securityContext: {{- include "vsyncer.restrictedContainer" . | nindent 2 }}
resources: {{- include "vsyncer.issueCertResources" . | nindent 2 }}
{{- end -}}

{{/*
What an init container issuing a certificate declares (a quota counting cpu or memory requires
every container of the namespace to declare them, init containers too).
*/}}
{{- define "vsyncer.issueCertResources" -}}
requests: {cpu: 10m, memory: 64Mi}
limits: {memory: 256Mi}
{{- end -}}

{{/* The environment variable the kubelet sets to the release Service's cluster IP. */}}
{{- define "vsyncer.serviceHostEnv" -}}
{{- printf "%s_SERVICE_HOST" (include "vsyncer.name" . | upper | replace "-" "_") -}}
{{- end -}}

{{/* The syncer's own container security: non-root, read-only root, no privileges. */}}
{{- define "vsyncer.restrictedContainer" -}}
runAsNonRoot: true
{{- /* null: the platform assigns them (OpenShift's restricted SCC: a UID of the namespace's range). */}}
{{- if not (kindIs "invalid" .Values.controlPlane.runAsUser) }}
runAsUser: {{ int64 .Values.controlPlane.runAsUser }}
{{- end }}
{{- if not (kindIs "invalid" .Values.controlPlane.runAsGroup) }}
runAsGroup: {{ int64 .Values.controlPlane.runAsGroup }}
{{- end }}
readOnlyRootFilesystem: true
allowPrivilegeEscalation: false
capabilities: {drop: [ALL]}
seccompProfile: {type: RuntimeDefault}
{{- end -}}
