package dev.veilraft.crypto.tee;

import dev.veilraft.crypto.attestation.SnpReport;
import java.util.Locale;
import java.util.Optional;

/**
 * The key that signs an SEV-SNP report: the chip's VCEK, or a VLEK AMD issued to a cloud provider.
 * It decides which certificate-table entry is the leaf, which signer (ASK or ASVK) the chain goes
 * through, and which AMD KDS path serves that chain.
 */
public enum SnpSigningKey {
  VCEK(SnpCertificateTable.Role.VCEK),
  VLEK(SnpCertificateTable.Role.VLEK);

  private final SnpCertificateTable.Role leafRole;

  SnpSigningKey(SnpCertificateTable.Role leafRole) {
    this.leafRole = leafRole;
  }

  /** The certificate-table role of the leaf certificate. */
  public SnpCertificateTable.Role leafRole() {
    return leafRole;
  }

  /** The AMD KDS path segment: "vcek" or "vlek". */
  public String kdsSegment() {
    return name().toLowerCase(Locale.ROOT);
  }

  /** The key named by the report's SIGNING_KEY field; empty for "no key" (7) and reserved values. */
  public static Optional<SnpSigningKey> of(SnpReport report) {
    return switch (report.signingKey()) {
      case SnpReport.SIGNING_KEY_VCEK -> Optional.of(VCEK);
      case SnpReport.SIGNING_KEY_VLEK -> Optional.of(VLEK);
      default -> Optional.empty();
    };
  }
}
