package dev.veilraft.crypto.attestation;

/** Why evidence was refused. Platform-layer reasons first, then policy-layer reasons. */
public enum RejectReason {
  // Platform layer: is this genuine evidence from the platform it claims?
  MALFORMED_EVIDENCE,
  PLATFORM_NOT_SUPPORTED,
  UNSUPPORTED_REPORT_VERSION,
  UNSUPPORTED_SIGNATURE_ALGORITHM,
  CERT_CHAIN_INVALID,
  ROOT_NOT_TRUSTED,
  CERT_EXPIRED,
  SIGNATURE_INVALID,
  TCB_MISMATCH,
  CHIP_ID_MISMATCH,
  // Policy layer: does the genuine evidence meet this cluster's reference values?
  SIMULATED_NOT_ALLOWED,
  DEBUG_NOT_ALLOWED,
  VMPL_NOT_ALLOWED,
  MEASUREMENT_NOT_ALLOWED,
  TCB_BELOW_MINIMUM,
  REPORT_DATA_MISMATCH
}
