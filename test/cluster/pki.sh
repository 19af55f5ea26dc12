# shellcheck shell=bash
# Certificate generation for the test bed (sourced by ./up). Needs openssl.
tb_pki() {
  local d="$1" svcip="$2"
  [[ -f "$d/.complete" ]] && return 0
  mkdir -p "$d"; cd "$d" || return 1
  local days=3650
  openssl req -x509 -newkey rsa:2048 -nodes -keyout ca.key -out ca.crt -days $days \
    -subj "/CN=kaos-testbed-ca" -addext "basicConstraints=critical,CA:TRUE" \
    -addext "keyUsage=critical,keyCertSign,cRLSign,digitalSignature" 2>/dev/null
  openssl genrsa -out sa.key 2048 2>/dev/null
  openssl rsa -in sa.key -pubout -out sa.pub 2>/dev/null
  # name  subject  extended-usage  SANs
  _tb_cert apiserver "/CN=kube-apiserver" serverAuth \
    "IP:127.0.0.1,IP:$svcip,DNS:localhost,DNS:kubernetes,DNS:kubernetes.default,DNS:kubernetes.default.svc,DNS:kubernetes.default.svc.cluster.local"
  _tb_cert apiserver-kubelet-client "/O=system:masters/CN=kube-apiserver-kubelet-client" clientAuth
  _tb_cert admin "/O=system:masters/CN=kubernetes-admin" clientAuth
  _tb_cert controller-manager "/CN=system:kube-controller-manager" clientAuth
  _tb_cert scheduler "/CN=system:kube-scheduler" clientAuth
  _tb_cert kwok "/CN=kwok-controller" clientAuth
  _tb_cert pod-runner "/CN=kaos-pod-runner" clientAuth
  _tb_cert kwok-kubelet "/CN=kwok-kubelet" serverAuth "IP:127.0.0.1,DNS:localhost"
  touch .complete
  cd - >/dev/null || return 1
}
_tb_cert() {
  local name="$1" subj="$2" eku="$3" san="${4:-}"
  local ext; ext="$(mktemp)"
  {
    echo "basicConstraints=critical,CA:FALSE"
    echo "keyUsage=critical,digitalSignature,keyEncipherment"
    echo "extendedKeyUsage=$eku"
    [[ -n "$san" ]] && echo "subjectAltName=$san"
  } >"$ext"
  openssl req -newkey rsa:2048 -nodes -keyout "$name.key" -out "$name.csr" -subj "$subj" 2>/dev/null
  openssl x509 -req -in "$name.csr" -CA ca.crt -CAkey ca.key -CAcreateserial -days 3650 \
    -extfile "$ext" -out "$name.crt" 2>/dev/null
  rm -f "$name.csr" "$ext"
}
# tb_kubeconfig <out> <server> <pki-dir> <cert-name> <user>
tb_kubeconfig() {
  local out="$1" server="$2" d="$3" name="$4" user="$5"
  cat >"$out" <<KCFG
apiVersion: v1
kind: Config
clusters:
- name: kaos-testbed
  cluster:
    server: $server
    certificate-authority-data: $(base64 -w0 <"$d/ca.crt")
users:
- name: $user
  user:
    client-certificate-data: $(base64 -w0 <"$d/$name.crt")
    client-key-data: $(base64 -w0 <"$d/$name.key")
contexts:
- name: kaos-testbed
  context:
    cluster: kaos-testbed
    user: $user
current-context: kaos-testbed
KCFG
  chmod 600 "$out"
}
