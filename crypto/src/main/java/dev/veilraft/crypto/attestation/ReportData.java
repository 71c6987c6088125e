package dev.veilraft.crypto.attestation;

import dev.veilraft.crypto.Check;
import dev.veilraft.crypto.Hashes;

/**
 * The binding of evidence to a verifier's nonce and the attester's keys:
 * report_data = SHA-512("veilraft/attest/v1" || nonce || SHA-256(identity SPKI) || SHA-256(KEM public key)).
 * A verifier recomputes it; a mismatch means a replay or a key substitution.
 */
public final class ReportData {
  private static final byte[] LABEL = Hashes.utf8("veilraft/attest/v1");
  private static final byte[] WEB_TLS_LABEL = Hashes.utf8("veilraft/attest-web-tls/v1");
  public static final int BYTES = 64;

  private ReportData() {}

  public static byte[] bind(byte[] nonce, byte[] identitySpki, byte[] kemPublicKey) {
    Check.argument(nonce != null && nonce.length > 0, "attestation nonce is empty");
    return Hashes.sha512(LABEL, nonce, Hashes.sha256(identitySpki), Hashes.sha256(kemPublicKey));
  }

  /**
   * The binding of evidence that also vouches for the node's web TLS key (the key of its
   * CA-issued certificate): SHA-512("veilraft/attest-web-tls/v1" || nonce || SHA-256(identity
   * SPKI) || SHA-256(KEM public key) || SHA-256(web TLS SPKI)). Its own label keeps it apart from
   * {@link #bind}: evidence of one kind never verifies as the other.
   */
  public static byte[] bindWebTls(byte[] nonce, byte[] identitySpki, byte[] kemPublicKey, byte[] webTlsSpki) {
    Check.argument(nonce != null && nonce.length > 0, "attestation nonce is empty");
    return Hashes.sha512(WEB_TLS_LABEL, nonce, Hashes.sha256(identitySpki), Hashes.sha256(kemPublicKey),
        Hashes.sha256(webTlsSpki));
  }
}
