package dev.veilraft.crypto.attestation;

import dev.veilraft.crypto.proto.Evidence;
import dev.veilraft.crypto.proto.Platform;

/** Produces evidence from this machine's TEE, bound to 64 bytes of report data. */
public interface Attester {
  Platform platform();

  /** Evidence whose report_data field equals {@code reportData} (64 bytes). */
  Evidence attest(byte[] reportData) throws AttestationException;

  /**
   * The launch measurement this attester reports, as policies list it: 48 bytes for SNP-format
   * reports, 240 (MRTD || RTMR0..3) for TDX-format quotes, 144 (PCR0..2) for Nitro.
   */
  byte[] measurement();
}
