#!/bin/sh
# Re-make the test PKI used by test/pki and the certificate sample configurations.
#
#   scripts/make-test-certs.sh            writes test/fixtures/pki/ and samples/certs/
#
# Needs the openssl command line (3.x).  Keys are fresh on every run, so every output changes; the
# tests read only what this script wrote, never hard-coded key material.
#
#   root CA ─┬─ intermediate CA ─┬─ roadwarrior   (USER_FQDN rw@example.test)
#            │                   └─ revoked-int    (revoked in the intermediate's CRL)
#            ├─ west  (FQDN west.example.test first: isakmpd reads only the first subjectAltName; IP 198.18.0.1)
#            ├─ east  (FQDN east.example.test first; IP 198.18.0.2, IPv6 2001:db8::2)
#            ├─ imposter (valid, same CA, its own DN and names)
#            ├─ expired  (2020-2021)
#            ├─ revoked  (revoked in the root CRL)
#            └─ nocertsign CA (CA:TRUE but keyUsage without keyCertSign) ── badku-leaf
#   east ── not-a-ca-leaf   (issued by a gateway certificate that is not a CA)
#   other root CA ── stranger (a chain to a CA nobody trusts)
set -eu

here=$(cd "$(dirname "$0")/.." && pwd)
out="$here/test/fixtures/pki"
samples="$here/samples/certs"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT INT TERM

START=20250101000000Z
END=20450101000000Z
mkdir -p "$out" "$samples"
rm -f "$out"/*.pem "$out"/*.der "$out"/*.key "$out"/*.crt "$out"/*.crl "$out"/*.bin "$out"/*.txt

key() { openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out "$work/$1.key" 2>/dev/null; }

# A minimal openssl ca setup per issuing CA; extensions are chosen per certificate with -extfile.
setup_ca() {
  d="$work/ca-$1"
  mkdir -p "$d/new"
  : > "$d/index.txt"
  echo 1000 > "$d/serial"
  echo 1000 > "$d/crlnumber"
  cat > "$d/ca.cnf" <<EOF
[ca]
default_ca = this
[this]
dir = $d
database = $d/index.txt
new_certs_dir = $d/new
serial = $d/serial
crlnumber = $d/crlnumber
certificate = $work/$1.crt
private_key = $work/$1.key
default_md = sha256
policy = anything
unique_subject = no
copy_extensions = none
email_in_dn = yes
default_crl_days = 7300
[anything]
countryName = optional
organizationName = optional
organizationalUnitName = optional
commonName = supplied
emailAddress = optional
EOF
}

# issue NAME ISSUER SUBJECT EXTENSIONS [START END]
issue() {
  name=$1 issuer=$2 subj=$3 ext=$4 sd=${5:-$START} ed=${6:-$END}
  [ -f "$work/$name.key" ] || key "$name"
  openssl req -new -key "$work/$name.key" -subj "$subj" -out "$work/$name.csr"
  printf '[x]\n%s\n' "$ext" > "$work/$name.ext"
  if [ "$issuer" = self ]; then
    setup_ca "$name"
    openssl ca -batch -notext -config "$work/ca-$name/ca.cnf" -selfsign -keyfile "$work/$name.key" \
      -in "$work/$name.csr" -out "$work/$name.crt" -extfile "$work/$name.ext" -extensions x \
      -startdate "$sd" -enddate "$ed" 2>/dev/null
  else
    openssl ca -batch -notext -config "$work/ca-$issuer/ca.cnf" \
      -in "$work/$name.csr" -out "$work/$name.crt" -extfile "$work/$name.ext" -extensions x \
      -startdate "$sd" -enddate "$ed" 2>/dev/null
  fi
}

CA_EXT='basicConstraints = critical, CA:TRUE
keyUsage = critical, keyCertSign, cRLSign
subjectKeyIdentifier = hash'
SUB_CA_EXT='basicConstraints = critical, CA:TRUE, pathlen:0
keyUsage = critical, keyCertSign, cRLSign
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid'
leaf_ext() {
  printf 'basicConstraints = CA:FALSE\nkeyUsage = critical, digitalSignature, keyEncipherment\nsubjectKeyIdentifier = hash\nauthorityKeyIdentifier = keyid\nsubjectAltName = %s\n' "$1"
}

O='/C=XX/O=Oakley Test'
issue root self "$O/CN=Oakley Test Root CA" "$CA_EXT"
issue intermediate root "$O/OU=Users/CN=Oakley Test Intermediate CA" "$SUB_CA_EXT"
setup_ca intermediate
issue west root "$O/OU=Gateways/CN=west.example.test" \
  "$(leaf_ext 'DNS:west.example.test, DNS:west.example.org, IP:198.18.0.1')"
issue east root "$O/OU=Gateways/CN=east.example.test" \
  "$(leaf_ext 'DNS:east.example.test, DNS:east.example.org, IP:198.18.0.2, IP:2001:db8::2')"
issue roadwarrior intermediate "$O/OU=Road Warriors/CN=Road Warrior/emailAddress=rw@example.test" \
  "$(leaf_ext 'email:rw@example.test')"
issue imposter root "$O/OU=Gateways/CN=imposter.example.test" \
  "$(leaf_ext 'IP:198.18.0.66, DNS:imposter.example.test, email:mallory@example.test')"
issue expired root "$O/OU=Gateways/CN=expired.example.test" \
  "$(leaf_ext 'DNS:expired.example.test')" 20200101000000Z 20210101000000Z
issue revoked root "$O/OU=Gateways/CN=revoked.example.test" "$(leaf_ext 'DNS:revoked.example.test')"
issue revoked-int intermediate "$O/OU=Users/CN=revoked-int.example.test" "$(leaf_ext 'DNS:revoked-int.example.test')"
issue nocertsign root "$O/CN=Oakley Test CA Without keyCertSign" 'basicConstraints = critical, CA:TRUE
keyUsage = critical, cRLSign, digitalSignature'
setup_ca nocertsign
issue badku-leaf nocertsign "$O/CN=badku.example.test" "$(leaf_ext 'DNS:badku.example.test')"
setup_ca east
issue not-a-ca-leaf east "$O/CN=not-a-ca.example.test" "$(leaf_ext 'DNS:not-a-ca.example.test')"
issue other-root self "/C=XX/O=Elsewhere/CN=Other Root CA" "$CA_EXT"
issue stranger other-root "/C=XX/O=Elsewhere/CN=east.example.test" "$(leaf_ext 'IP:198.18.0.2, DNS:east.example.test')"

# Revocations and CRLs (both valid until 2045, issued at the start of the test PKI's life).
openssl ca -batch -config "$work/ca-root/ca.cnf" -revoke "$work/revoked.crt" -crl_reason keyCompromise 2>/dev/null
openssl ca -batch -config "$work/ca-intermediate/ca.cnf" -revoke "$work/revoked-int.crt" -crl_reason superseded 2>/dev/null
for ca in root intermediate; do
  openssl ca -batch -config "$work/ca-$ca/ca.cnf" -gencrl -crl_lastupdate 20250101000000Z \
    -crl_nextupdate 20450101000000Z -out "$work/$ca.crl" 2>/dev/null
done
# An expired CRL from the root (nextUpdate in 2025) that revokes nothing.
cp "$work/ca-root/index.txt" "$work/index.keep"
: > "$work/ca-root/index.txt"
openssl ca -batch -config "$work/ca-root/ca.cnf" -gencrl -crl_lastupdate 20250101000000Z \
  -crl_nextupdate 20250201000000Z -out "$work/root-stale.crl" 2>/dev/null
cp "$work/index.keep" "$work/ca-root/index.txt"

for n in root intermediate west east roadwarrior imposter expired revoked revoked-int nocertsign badku-leaf \
         not-a-ca-leaf other-root stranger; do
  openssl x509 -in "$work/$n.crt" -out "$out/$n.crt"
done
for n in root intermediate; do openssl crl -in "$work/$n.crl" -out "$out/$n.crl.pem"; done
openssl crl -in "$work/root.crl" -outform DER -out "$out/root.crl.der"
openssl crl -in "$work/root-stale.crl" -out "$out/root-stale.crl.pem"
# The root key is here only so tests can re-sign certificates (certpatch); never reuse this PKI.
for n in root west east roadwarrior imposter; do cp "$work/$n.key" "$out/$n.key"; done

# The same things in the other encodings isakmpd's directories may hold.
openssl x509 -in "$work/east.crt" -outform DER -out "$out/east.der"
openssl x509 -in "$work/intermediate.crt" -outform DER -out "$out/intermediate.der"
openssl rsa -in "$work/east.key" -traditional -out "$out/east.pkcs1.key" 2>/dev/null
openssl pkey -in "$work/east.key" -outform DER -out "$out/east.key.der"
openssl pkey -in "$work/east.key" -pubout -outform DER -out "$out/east.spki.der"
openssl rsa -in "$work/east.key" -RSAPublicKey_out -outform DER -out "$out/east.pkcs1pub.der" 2>/dev/null

# Known answers for IKEv1 RSA signatures (RFC 2409 5.1): PKCS#1 v1.5 type 1 padding over the bare hash,
# no DigestInfo, made by openssl's raw RSA signing (pkeyutl without a digest).
printf 'oakley HASH_I known answer' > "$out/sig-message.txt"
openssl dgst -sha1 -binary "$out/sig-message.txt" > "$out/sig-hash-sha1.bin"
openssl dgst -sha256 -binary "$out/sig-message.txt" > "$out/sig-hash-sha256.bin"
openssl dgst -md5 -binary "$out/sig-message.txt" > "$out/sig-hash-md5.bin"
for h in sha1 sha256 md5; do
  openssl pkeyutl -sign -inkey "$work/east.key" -pkeyopt rsa_padding_mode:pkcs1 \
    -in "$out/sig-hash-$h.bin" -out "$out/sig-east-$h.bin"
done

# What isakmpd's X509_NAME_oneline would print for two subjects, as OpenSSL itself prints them.
for n in east roadwarrior; do
  openssl x509 -in "$out/$n.crt" -noout -subject -nameopt compat | sed 's/^subject=//' > "$out/$n.subject-oneline.txt"
  openssl x509 -in "$out/$n.crt" -noout -subject -nameopt RFC2253 | sed 's/^subject=//' > "$out/$n.subject-rfc2253.txt"
done

# Samples: the files the certificate sample configs point at (west and east gateways).
mkdir -p "$samples/ca" "$samples/crls"
cp "$out/root.crt" "$samples/ca/root.crt"
cp "$out/root.crl.pem" "$samples/crls/root.crl.pem"
for n in west east; do
  mkdir -p "$samples/$n/certs" "$samples/$n/private"
  cp "$out/$n.crt" "$samples/$n/certs/$n.crt"
  cp "$out/$n.key" "$samples/$n/private/local.key"
  chmod 600 "$samples/$n/private/local.key"
done
echo "test PKI written to $out and $samples"
