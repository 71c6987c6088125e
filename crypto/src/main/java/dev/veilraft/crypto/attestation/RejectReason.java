package dev.veilraft.crypto.attestation;

/** Why evidence was refused. Platform-layer reasons first, then policy-layer reasons. */
public enum RejectReason {
  // Platform layer: is this genuine evidence from the platform it claims?
  /** The bytes cannot be read as the format they claim (length, encoding, reserved fields). */
  MALFORMED,
  /** No verifier for the evidence's platform. */
  PLATFORM_NOT_SUPPORTED,
  UNSUPPORTED_REPORT_VERSION,
  UNSUPPORTED_SIGNATURE_ALGORITHM,
  /** The certificates do not form a chain to a pinned vendor root (or to the right product's root). */
  CHAIN_UNTRUSTED,
  /** A certificate or collateral item is not valid at the instant of verification. */
  CERT_EXPIRED,
  /** A certificate in the chain is listed in a supplied, verified CRL. */
  CERT_REVOKED,
  /** A signature over the evidence (or over a nested report) does not verify. */
  SIGNATURE_INVALID,
  /** The report's TCB differs from the TCB its VCEK/VLEK was issued for (or is inconsistent). */
  TCB_MISMATCH_VCEK,
  /** The report's chip id differs from the VCEK's hwID. */
  CHIP_ID_MISMATCH,
  /** Supplied collateral (TCB info, QE identity, CRL) is unsigned, mis-signed, stale or unusable. */
  COLLATERAL_INVALID,
  // Policy layer: does the genuine evidence meet this cluster's reference values?
  PLATFORM_NOT_ALLOWED,
  SIMULATED_NOT_ALLOWED,
  DEBUG_ENABLED,
  /** A guest policy bit (migration agent, SMT, single socket) or the minimum ABI is not allowed. */
  GUEST_POLICY_NOT_ALLOWED,
  VMPL_NOT_ALLOWED,
  MEASUREMENT_NOT_ALLOWED,
  /** SEV-SNP HOST_DATA or TDX MRCONFIGID is not in the policy. */
  HOST_DATA_NOT_ALLOWED,
  TCB_BELOW_MINIMUM,
  /** The TCB status from Intel's TCB info (or its absence) is not accepted by the policy. */
  TCB_STATUS_NOT_ALLOWED,
  REPORT_DATA_MISMATCH
}
