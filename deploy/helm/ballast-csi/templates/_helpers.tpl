{{/*
Chart name, truncated to the 63 characters a label value allows.
*/}}
{{- define "ballast-csi.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{/*
Object name prefix: the release name, plus the chart name unless the release name contains it.
*/}}
{{- define "ballast-csi.fullname" -}}
{{- if .Values.fullnameOverride -}}
{{- .Values.fullnameOverride | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- $name := default .Chart.Name .Values.nameOverride -}}
{{- if contains $name .Release.Name -}}
{{- .Release.Name | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- printf "%s-%s" .Release.Name $name | trunc 63 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}
{{- end -}}

{{- define "ballast-csi.chart" -}}
{{- printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{/*
Labels on every object.
*/}}
{{- define "ballast-csi.labels" -}}
helm.sh/chart: {{ include "ballast-csi.chart" . }}
{{ include "ballast-csi.selectorLabels" . }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
app.kubernetes.io/part-of: ballast-csi
{{- with .Values.commonLabels }}
{{ toYaml . }}
{{- end }}
{{- end -}}

{{- define "ballast-csi.selectorLabels" -}}
app.kubernetes.io/name: {{ include "ballast-csi.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end -}}

{{/*
Labels and selector labels of one component; called with (dict "context" $ "component" "controller").
*/}}
{{- define "ballast-csi.componentLabels" -}}
{{ include "ballast-csi.labels" .context }}
app.kubernetes.io/component: {{ .component }}
{{- end -}}

{{- define "ballast-csi.componentSelectorLabels" -}}
{{ include "ballast-csi.selectorLabels" .context }}
app.kubernetes.io/component: {{ .component }}
{{- end -}}

{{- define "ballast-csi.controller.serviceAccountName" -}}
{{- if .Values.controller.serviceAccount.create -}}
{{- default (printf "%s-controller" (include "ballast-csi.fullname" .)) .Values.controller.serviceAccount.name -}}
{{- else -}}
{{- required "controller.serviceAccount.name is required when controller.serviceAccount.create is false" .Values.controller.serviceAccount.name -}}
{{- end -}}
{{- end -}}

{{- define "ballast-csi.node.serviceAccountName" -}}
{{- if .Values.node.serviceAccount.create -}}
{{- default (printf "%s-node" (include "ballast-csi.fullname" .)) .Values.node.serviceAccount.name -}}
{{- else -}}
{{- required "node.serviceAccount.name is required when node.serviceAccount.create is false" .Values.node.serviceAccount.name -}}
{{- end -}}
{{- end -}}

{{/*
The Ballast image reference: a digest pins it, otherwise the tag (default: appVersion).
*/}}
{{- define "ballast-csi.image" -}}
{{- if .Values.image.digest -}}
{{- printf "%s@%s" .Values.image.repository .Values.image.digest -}}
{{- else -}}
{{- printf "%s:%s" .Values.image.repository (default .Chart.AppVersion .Values.image.tag) -}}
{{- end -}}
{{- end -}}

{{/*
A sidecar image reference from its values block (repository, tag).
*/}}
{{- define "ballast-csi.sidecarImage" -}}
{{- printf "%s:%s" .repository .tag -}}
{{- end -}}

{{/*
The cloud the driver drives. Provider facts the chart needs live here, as the driver keeps its own
in src/providers: each public API's endpoint, the token key its own driver uses, what it can do.
*/}}
{{- define "ballast-csi.provider" -}}
{{- $provider := .Values.cloud.provider | default "ballast" -}}
{{- if not (or (eq $provider "ballast") (eq $provider "digitalocean") (eq $provider "hetzner")) -}}
{{- fail (printf "cloud.provider: %s is not a provider (ballast, digitalocean, hetzner)" $provider) -}}
{{- end -}}
{{- $provider -}}
{{- end -}}

{{/* "true" when the provider has volume tiers (the type, iops, throughput, encrypted parameters). */}}
{{- define "ballast-csi.providerHasTiers" -}}
{{- if eq (include "ballast-csi.provider" .) "ballast" -}}true{{- end -}}
{{- end -}}

{{/* "true" when the snapshotter runs: enabled, and the provider takes snapshots (Hetzner does not). */}}
{{- define "ballast-csi.snapshotsEnabled" -}}
{{- if and .Values.sidecars.snapshotter.enabled (ne (include "ballast-csi.provider" .) "hetzner") -}}true{{- end -}}
{{- end -}}

{{/* "true" when group snapshots are on; only the ballast provider takes them. */}}
{{- define "ballast-csi.groupSnapshotsEnabled" -}}
{{- if and (include "ballast-csi.snapshotsEnabled" .) .Values.sidecars.snapshotter.groupSnapshots.enabled -}}
{{- if ne (include "ballast-csi.provider" .) "ballast" -}}
{{- fail (printf "sidecars.snapshotter.groupSnapshots.enabled: provider %s takes no group snapshots" (include "ballast-csi.provider" .)) -}}
{{- end -}}
true
{{- end -}}
{{- end -}}

{{- define "ballast-csi.cloudUrl" -}}
{{- $provider := include "ballast-csi.provider" . -}}
{{- if .Values.cloud.url -}}
{{- .Values.cloud.url -}}
{{- else if eq $provider "digitalocean" -}}
https://api.digitalocean.com
{{- else if eq $provider "hetzner" -}}
https://api.hetzner.cloud/v1
{{- else -}}
{{- fail "cloud.url is required: the base URL of the block-storage API" -}}
{{- end -}}
{{- end -}}

{{/* The token's key in its Secret: DigitalOcean's own driver uses access-token. */}}
{{- define "ballast-csi.tokenSecretKey" -}}
{{- if .Values.cloud.token.secretKey -}}
{{- .Values.cloud.token.secretKey -}}
{{- else if eq (include "ballast-csi.provider" .) "digitalocean" -}}
access-token
{{- else -}}
token
{{- end -}}
{{- end -}}

{{/*
Secret holding the API token: an existing one, or the one the chart creates from cloud.token.value.
*/}}
{{- define "ballast-csi.tokenSecretName" -}}
{{- if .Values.cloud.token.existingSecret -}}
{{- .Values.cloud.token.existingSecret -}}
{{- else if .Values.cloud.token.value -}}
{{- printf "%s-cloud-token" (include "ballast-csi.fullname" .) -}}
{{- else -}}
{{- fail "cloud.token.existingSecret or cloud.token.value is required: the API token of the block-storage API" -}}
{{- end -}}
{{- end -}}

{{- define "ballast-csi.caConfigMapName" -}}
{{- if .Values.cloud.existingCaConfigMap -}}
{{- .Values.cloud.existingCaConfigMap -}}
{{- else if .Values.cloud.caBundle -}}
{{- printf "%s-cloud-ca" (include "ballast-csi.fullname" .) -}}
{{- end -}}
{{- end -}}

{{/*
Driver flags for reaching the cloud API, shared by the controller and (with node-name lookup) the node.
*/}}
{{- define "ballast-csi.cloudArgs" -}}
- --cloud-url={{ include "ballast-csi.cloudUrl" . }}
- --cloud-token-file=/var/run/secrets/ballast/token
{{- /* Unset, the driver takes the provider's own rate limit, which stays under that provider's
account limits; one value for every provider would overrun DigitalOcean's or Hetzner's. */}}
{{- if .Values.cloud.qps }}
- --cloud-qps={{ .Values.cloud.qps }}
{{- end }}
{{- if .Values.cloud.burst }}
- --cloud-burst={{ .Values.cloud.burst }}
{{- end }}
{{- if include "ballast-csi.caConfigMapName" . }}
- --cloud-ca-file=/etc/ballast/ca/ca.crt
{{- end }}
{{- end -}}

{{- define "ballast-csi.cloudVolumeMounts" -}}
- name: cloud-token
  mountPath: /var/run/secrets/ballast
  readOnly: true
{{- if include "ballast-csi.caConfigMapName" . }}
- name: cloud-ca
  mountPath: /etc/ballast/ca
  readOnly: true
{{- end }}
{{- end -}}

{{- define "ballast-csi.cloudVolumes" -}}
- name: cloud-token
  secret:
    secretName: {{ include "ballast-csi.tokenSecretName" . }}
    defaultMode: 0440
    items:
      - key: {{ include "ballast-csi.tokenSecretKey" . }}
        path: token
{{- if include "ballast-csi.caConfigMapName" . }}
- name: cloud-ca
  configMap:
    name: {{ include "ballast-csi.caConfigMapName" . }}
    items:
      - key: {{ .Values.cloud.caBundleKey }}
        path: ca.crt
{{- end }}
{{- end -}}

{{/*
Leader-election flags of a controller sidecar; called with (dict "context" $ "leaderElection" <values>).
*/}}
{{- define "ballast-csi.leaderElectionArgs" -}}
{{- if .leaderElection.enabled -}}
- --leader-election=true
- --leader-election-namespace={{ .context.Release.Namespace }}
- --leader-election-lease-duration={{ .leaderElection.leaseDuration }}
- --leader-election-renew-deadline={{ .leaderElection.renewDeadline }}
- --leader-election-retry-period={{ .leaderElection.retryPeriod }}
{{- else -}}
- --leader-election=false
{{- end }}
{{- end -}}

{{/*
API version of VolumeAttributesClass: the value when set, else v1 when the cluster serves it (GA in
Kubernetes 1.34; `helm template` only knows the version, not the kinds), else v1beta1.
*/}}
{{- define "ballast-csi.volumeAttributesClassApiVersion" -}}
{{- if .Values.volumeAttributesClassApiVersion -}}
{{- .Values.volumeAttributesClassApiVersion -}}
{{- else if or (.Capabilities.APIVersions.Has "storage.k8s.io/v1/VolumeAttributesClass") (semverCompare ">=1.34.0-0" .Capabilities.KubeVersion.Version) -}}
storage.k8s.io/v1
{{- else -}}
storage.k8s.io/v1beta1
{{- end -}}
{{- end -}}

{{/*
The group snapshot API: v1 since Kubernetes 1.36 (CRDs of external-snapshotter v8.6.0 and
later), v1beta2 before it.
*/}}
{{- define "ballast-csi.volumeGroupSnapshotClassApiVersion" -}}
{{- if .Values.volumeGroupSnapshotClassApiVersion -}}
{{- .Values.volumeGroupSnapshotClassApiVersion -}}
{{- else if or (.Capabilities.APIVersions.Has "groupsnapshot.storage.k8s.io/v1/VolumeGroupSnapshotClass") (semverCompare ">=1.36.0-0" .Capabilities.KubeVersion.Version) -}}
groupsnapshot.storage.k8s.io/v1
{{- else -}}
groupsnapshot.storage.k8s.io/v1beta2
{{- end -}}
{{- end -}}

{{/*
Without nodeNameLookup the node pods get neither the API URL nor the token, and the driver refuses
to start unless its identity comes as flags: fail the render instead of shipping a crash loop.
*/}}
{{- define "ballast-csi.nodeIdentityArgs" -}}
{{- if not .Values.node.nodeNameLookup -}}
{{- $given := toYaml .Values.node.extraArgs -}}
{{- range $flag := list "--node-id" "--zone" "--max-volumes-per-node" -}}
{{- if not (contains $flag $given) -}}
{{- fail (printf "node.extraArgs: %s is required when node.nodeNameLookup is false (the node pods then have no cloud access to look their instance up)" $flag) -}}
{{- end -}}
{{- end -}}
{{- end -}}
{{- end -}}
